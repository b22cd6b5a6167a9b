package io.parley.transport.redis.internal;

import io.parley.spi.TlsSupport;
import redis.clients.jedis.DefaultJedisSocketFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisSocketFactory;
import redis.clients.jedis.SSLSocketWrapper;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.util.IOUtils;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * Opens every connection of a transport that uses TLS (the pool, the reply pattern, each
 * subscription): TCP as jedis opens it, then the handshake with the options' context and host-name
 * check. The handshake runs here, within the socket timeout, rather than at jedis' first command, so
 * that a refused one fails the connect with the handshake's own exception.
 *
 * <p>In TLS 1.3 the client's side of the handshake ends before the server has judged the client's
 * certificate: a server that demands one and got none (redis-server's {@code tls-auth-clients yes})
 * sends {@code certificate_required} and closes, which the client mostly sees only as "Broken pipe"
 * or "Connection reset" at its first command. So when the server asked for a certificate in the
 * handshake and this client had none to show, an I/O failure before the server's first answer is
 * reported as the handshake failure it is.
 */
final class TlsSocketFactory implements JedisSocketFactory {

    private final HostAndPort address;
    private final JedisSocketFactory tcp;
    private final SSLSocketFactory sockets;
    private final SSLParameters parameters;
    private final int timeoutMillis;

    /** @param tcpConfig the connect and socket timeouts (its own TLS settings are not used) */
    TlsSocketFactory(HostAndPort address, JedisClientConfig tcpConfig, SSLContext context, boolean verifyHostname) {
        this.address = address;
        this.tcp = new DefaultJedisSocketFactory(address, tcpConfig);
        this.sockets = context.getSocketFactory();
        this.parameters = TlsSupport.clientParameters(context, verifyHostname);
        this.timeoutMillis = tcpConfig.getSocketTimeoutMillis();
    }

    @Override
    public Socket createSocket() {
        Socket plain = tcp.createSocket();
        try {
            SSLSocket socket = (SSLSocket) sockets.createSocket(plain, address.getHost(), address.getPort(), true);
            socket.setSSLParameters(parameters);
            socket.startHandshake(); // bounded by the socket timeout set on the TCP connection
            return TlsSupport.clientCertificateAskedButNotShown(socket.getSession())
                    ? new ClientCertificateWatch(socket, plain) : new SSLSocketWrapper(socket, plain);
        } catch (SocketTimeoutException e) {
            IOUtils.closeQuietly(plain);
            throw new HandshakeUnanswered(timeoutMillis, e);
        } catch (IOException | RuntimeException e) {
            IOUtils.closeQuietly(plain);
            // the sentence in the message too: the subscriptions' reconnect loops log the exception's text
            throw new JedisConnectionException(TlsSupport.describeFailure(e, address.getHost())
                    .orElse("TLS handshake with " + address + " failed: " + e), e);
        }
    }

    /**
     * The server did not answer the handshake in time. Not told apart from a frozen server by waiting
     * longer: a plain redis-server reads a TLS client's hello as the start of a command and waits for
     * its end.
     */
    static final class HandshakeUnanswered extends JedisConnectionException {
        HandshakeUnanswered(int timeoutMillis, SocketTimeoutException cause) {
            super("TLS: no answer to the TLS handshake within " + timeoutMillis + " ms (redis.timeout-ms): either the"
                    + " server on this port does not speak TLS (a plain Redis takes the TLS hello for the start of a"
                    + " command and waits for the rest), or it is frozen or cut off", cause);
        }
    }

    /**
     * A connection whose server asked for a client certificate that it did not get: until the server
     * first answers, the connection closing (an I/O error, or the end of the stream) is its verdict on
     * the handshake. After that, failures are what they say.
     */
    private static final class ClientCertificateWatch extends SSLSocketWrapper {
        private volatile boolean answered;
        private final InputStream input;
        private final OutputStream output;

        ClientCertificateWatch(SSLSocket socket, Socket plain) throws IOException {
            super(socket, plain);
            this.input = new FilterInputStream(super.getInputStream()) {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int read;
                    try {
                        read = super.read(buffer, offset, length);
                    } catch (IOException e) {
                        throw explained(e);
                    }
                    if (read < 0 && !answered) {
                        throw refused(null);
                    }
                    answered |= read > 0;
                    return read;
                }
            };
            this.output = new FilterOutputStream(super.getOutputStream()) {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] buffer, int offset, int length) throws IOException {
                    try {
                        out.write(buffer, offset, length);
                    } catch (IOException e) {
                        throw explained(e);
                    }
                }

                @Override
                public void flush() throws IOException {
                    try {
                        out.flush();
                    } catch (IOException e) {
                        throw explained(e);
                    }
                }
            };
        }

        /** A TLS alert read in time, a timeout (no verdict) or a failure after an answer stay as they are. */
        private IOException explained(IOException e) {
            return answered || e instanceof SSLException || e instanceof SocketTimeoutException ? e : refused(e);
        }

        /** Worded with the alert's name, which TlsSupport recognises, as it does when the alert itself is read. */
        private static SSLHandshakeException refused(IOException cause) {
            SSLHandshakeException refused = new SSLHandshakeException("the server asked for a client certificate in the"
                    + " TLS handshake, this client had none to show, and the server closed the connection before"
                    + " answering (certificate_required)" + (cause == null ? "" : ": " + cause.getMessage()));
            refused.initCause(cause);
            return refused;
        }

        @Override
        public InputStream getInputStream() {
            return input;
        }

        @Override
        public OutputStream getOutputStream() {
            return output;
        }
    }
}
