package io.parley.transport.kafka.internal;

import io.parley.api.TlsOptions;
import io.parley.spi.TlsSupport;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.auth.SslEngineFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The client SSL engines of every Kafka client of a connection, made from the {@link SSLContext} of
 * {@code BrokerOptions.tls()}: kafka-clients takes no context object, only this class
 * ({@code ssl.engine.factory.class}), and hands it the client's original configs, where the options
 * travel under {@link #OPTIONS}. So trust stores, PEM files, key stores and an application's own
 * context all take one path. Public, with a public constructor: Kafka instantiates it by reflection.
 */
public final class TlsEngineFactory implements SslEngineFactory {

    /** The client config that carries the {@link TlsOptions} object (not a Kafka setting; never printed by Kafka). */
    static final String OPTIONS = "parley.tls.options";

    private TlsOptions tls;
    private List<String> protocols;
    private List<String> cipherSuites;

    public TlsEngineFactory() {
    }

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs) {
        if (!(configs.get(OPTIONS) instanceof TlsOptions options)) {
            throw new ConfigException(getClass().getName() + " is Parley's: it needs the TLS options of BrokerOptions.tls()");
        }
        tls = options;
        // as Kafka's own factory does, so that kafka.client.ssl.enabled.protocols and ssl.cipher.suites still apply
        protocols = (List<String>) configs.get(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG);
        cipherSuites = (List<String>) configs.get(SslConfigs.SSL_CIPHER_SUITES_CONFIG);
    }

    /**
     * {@code endpointIdentification} is {@code ssl.endpoint.identification.algorithm} ({@code https} unless
     * set empty): host names are verified unless it or {@code TlsOptions.hostnameVerification(false)} says not to.
     */
    @Override
    public SSLEngine createClientSslEngine(String peerHost, int peerPort, String endpointIdentification) {
        SSLContext context = tls.sslContext();
        boolean verify = tls.hostnameVerification() && endpointIdentification != null && !endpointIdentification.isEmpty();
        SSLParameters parameters = TlsSupport.clientParameters(context, verify);
        if (protocols != null && !protocols.isEmpty()) {
            parameters.setProtocols(protocols.toArray(String[]::new));
        }
        if (cipherSuites != null && !cipherSuites.isEmpty()) {
            parameters.setCipherSuites(cipherSuites.toArray(String[]::new));
        }
        SSLEngine engine = context.createSSLEngine(peerHost, peerPort); // the host: SNI, and what is verified
        engine.setUseClientMode(true);
        engine.setSSLParameters(parameters);
        return engine;
    }

    @Override
    public SSLEngine createServerSslEngine(String peerHost, int peerPort) {
        throw new UnsupportedOperationException("Parley's Kafka clients make client engines only");
    }

    @Override
    public boolean shouldBeRebuilt(Map<String, Object> nextConfigs) {
        return false; // the options are fixed for the life of the connection
    }

    @Override
    public Set<String> reconfigurableConfigs() {
        return Set.of();
    }

    @Override
    public KeyStore keystore() {
        return null; // the context holds the keys; Kafka asks only on brokers (reconfiguration)
    }

    @Override
    public KeyStore truststore() {
        return null;
    }

    @Override
    public void close() {
        // nothing held: the context belongs to the options
    }
}
