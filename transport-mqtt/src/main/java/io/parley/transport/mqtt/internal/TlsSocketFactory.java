package io.parley.transport.mqtt.internal;

import io.parley.spi.TlsSupport;

import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;

/**
 * The options' TLS socket factory, remembering the last socket it made: when a TLS 1.3 broker drops
 * the connection after the handshake because it wanted a client certificate, the client only sees a
 * reset, and the finished session is what tells the two apart ({@link TlsSupport#clientCertificateAskedButNotShown}).
 */
final class TlsSocketFactory extends SSLSocketFactory {

    private final SSLSocketFactory delegate;
    private volatile SSLSocket last;

    TlsSocketFactory(SSLSocketFactory delegate) {
        this.delegate = delegate;
    }

    /** Whether the last connection's finished handshake was asked for a client certificate that it did not show. */
    boolean lastAskedForMissingCertificate() {
        SSLSocket socket = last;
        if (socket == null) {
            return false;
        }
        // a closed socket gives its finished session, or the null session when the handshake never ended
        SSLSession session = socket.getSession();
        return TlsSupport.clientCertificateAskedButNotShown(session);
    }

    private Socket remember(Socket socket) {
        if (socket instanceof SSLSocket ssl) {
            last = ssl;
        }
        return socket;
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
        return remember(delegate.createSocket());
    }

    @Override
    public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
        return remember(delegate.createSocket(socket, host, port, autoClose));
    }

    @Override
    public Socket createSocket(Socket socket, InputStream consumed, boolean autoClose) throws IOException {
        return remember(delegate.createSocket(socket, consumed, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return remember(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return remember(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return remember(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return remember(delegate.createSocket(address, port, localAddress, localPort));
    }
}
