package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.ConnectionFactory;
import io.parley.api.BrokerOptions;
import io.parley.api.TlsOptions;
import io.parley.spi.ReplyListener;
import io.parley.spi.TransportContext;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLSocket;
import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When TLS is on, and that amqp-client's sockets check the host name unless the options turn it off (no broker). */
class RabbitTlsTest {

    private static RabbitSettings settings(String uri, BrokerOptions options) {
        return RabbitSettings.from(new TransportContext() {
            @Override
            public URI uri() {
                return URI.create(uri);
            }

            @Override
            public String redactedUri() {
                return uri;
            }

            @Override
            public BrokerOptions options() {
                return options;
            }

            @Override
            public ReplyListener replies() {
                return null;
            }
        });
    }

    private static BrokerOptions tls(TlsOptions tls) {
        return BrokerOptions.builder().tls(tls).build();
    }

    @Test
    void tlsOptionsTurnTlsOnWhateverTheScheme() {
        TlsOptions jvmTrust = TlsOptions.builder().build();
        RabbitSettings plain = settings("amqp://h", BrokerOptions.defaults());
        assertFalse(plain.tls);
        assertEquals(5672, plain.port);
        RabbitSettings amqps = settings("amqps://h", BrokerOptions.defaults());
        assertTrue(amqps.tls);
        assertEquals(5671, amqps.port);
        RabbitSettings amqpWithOptions = settings("amqp://h", tls(jvmTrust));
        assertTrue(amqpWithOptions.tls);
        assertEquals(5671, amqpWithOptions.port, "TLS goes to RabbitMQ's TLS port by default");
        assertEquals(5673, settings("amqp://h:5673", tls(jvmTrust)).port);
    }

    /** The socket amqp-client would make, configured as it would be before connecting. */
    private static SSLSocket configuredSocket(BrokerOptions options) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        RabbitTransport.useTls(factory, options);
        assertTrue(factory.isSSL());
        SSLSocket socket = (SSLSocket) factory.getSocketFactory().createSocket();
        factory.getSocketConfigurator().configure(socket);
        assertTrue(socket.getTcpNoDelay(), "amqp-client's default socket settings are kept");
        return socket;
    }

    @Test
    void hostNamesAreVerifiedByDefaultWithOrWithoutOptions() throws Exception {
        try (SSLSocket withoutOptions = configuredSocket(BrokerOptions.defaults());
             SSLSocket withOptions = configuredSocket(tls(TlsOptions.builder().build()))) {
            assertEquals("HTTPS", withoutOptions.getSSLParameters().getEndpointIdentificationAlgorithm());
            assertEquals("HTTPS", withOptions.getSSLParameters().getEndpointIdentificationAlgorithm());
        }
    }

    @Test
    void onlyAnExplicitSwitchTurnsTheHostNameCheckOff() throws Exception {
        try (SSLSocket unchecked = configuredSocket(tls(TlsOptions.builder().hostnameVerification(false).build()))) {
            assertNull(unchecked.getSSLParameters().getEndpointIdentificationAlgorithm());
        }
    }
}
