package io.parley.transport.nats.internal;

import io.nats.client.Connection;
import io.nats.client.Options;
import io.nats.client.impl.SocketDataPortWithWriteTimeout;
import io.parley.spi.TlsSupport;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.Socket;

/**
 * jnats' default socket (with its write timeout) whose incoming bytes pass through a
 * {@link ProtocolGuard}, so that a header block jnats cannot parse reaches it in a form it can, instead
 * of ending its reader thread; and whose TLS checks the server's host name, which jnats' own socket
 * does not. jnats creates it by reflection ({@code Options.Builder.dataPortType}), one per socket:
 * hence public, with a public no-argument constructor, in a package that module-info exports to jnats.
 * Not an API.
 */
public final class GuardedDataPort extends SocketDataPortWithWriteTimeout {

    /**
     * What the transport asks of TLS and hears of its failures. jnats gives a data port nothing of the
     * transport's but the {@link Options}: the transport's error listener implements this.
     */
    interface TlsPolicy {
        /** Whether the server's certificate must name the host of the URI. */
        boolean verifyHostname();

        /** The handshake with {@code host} failed; jnats fails this connect attempt by itself. */
        void handshakeFailed(String host, IOException failure);

        /**
         * The server ended TLS after the client's handshake: with TLS 1.3 a server tells that it refuses
         * the client's certificate only then, and jnats, if it was connecting, would wait its whole
         * connect timeout for a PONG.
         */
        void readFailed(Connection connection, String host, SSLException failure);
    }

    /** Without the transport (a test's jnats connection): host names are verified, failures only thrown. */
    private static final TlsPolicy VERIFY = new TlsPolicy() {
        @Override
        public boolean verifyHostname() {
            return true;
        }

        @Override
        public void handshakeFailed(String host, IOException failure) {
        }

        @Override
        public void readFailed(Connection connection, String host, SSLException failure) {
        }
    };

    private final ProtocolGuard guard = new ProtocolGuard();
    // reads the current stream: upgradeToSecure() replaces it with the TLS one
    private final ProtocolGuard.Source stream = (buffer, offset, length) -> in.read(buffer, offset, length);
    private TlsPolicy tls = VERIFY;
    private SSLContext context;
    private Socket plain; // the TCP socket under the TLS one

    public GuardedDataPort() {
        super();
    }

    @Override
    public void afterConstruct(Options options) {
        super.afterConstruct(options);
        context = options.getSslContext();
        if (options.getErrorListener() instanceof TlsPolicy policy) {
            tls = policy;
        }
    }

    /** jnats' upgrade, with the HTTPS host-name check (SNI too) that jnats leaves out. */
    @Override
    public void upgradeToSecure() throws IOException {
        SSLSocket secure = (SSLSocket) context.getSocketFactory().createSocket(socket, host, port, true);
        secure.setUseClientMode(true);
        secure.setSSLParameters(TlsSupport.clientParameters(context, tls.verifyHostname()));
        try {
            secure.startHandshake();
        } catch (IOException e) {
            tls.handshakeFailed(host, e);
            throw e;
        }
        plain = socket;
        socket = secure;
        in = secure.getInputStream();
        out = secure.getOutputStream();
        isSecure = true;
    }

    /**
     * jnats stops its reader with this, and skips it for TLS (an {@link SSLSocket} cannot), so that every
     * close of a TLS connection waited a second for the reader: the TCP socket under it can.
     */
    @Override
    public void shutdownInput() throws IOException {
        if (isSecure) {
            plain.shutdownInput();
        } else {
            super.shutdownInput();
        }
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        try {
            return guard.read(stream, dst, off, len);
        } catch (SSLException e) {
            tls.readFailed(connection, host, e);
            throw e;
        }
    }
}
