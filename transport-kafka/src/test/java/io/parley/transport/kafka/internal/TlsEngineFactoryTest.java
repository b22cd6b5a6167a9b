package io.parley.transport.kafka.internal;

import io.parley.api.TlsOptions;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLEngine;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engines Kafka's clients get: client mode, host names verified unless either switch says not to. */
class TlsEngineFactoryTest {

    private static TlsEngineFactory factory(TlsOptions tls, Map<String, Object> more) {
        TlsEngineFactory factory = new TlsEngineFactory();
        java.util.HashMap<String, Object> configs = new java.util.HashMap<>(more);
        configs.put(TlsEngineFactory.OPTIONS, tls);
        factory.configure(configs);
        return factory;
    }

    @Test
    void hostNamesAreVerifiedByDefault() {
        SSLEngine engine = factory(TlsOptions.builder().build(), Map.of()).createClientSslEngine("broker.example", 9093, "https");
        assertTrue(engine.getUseClientMode());
        assertEquals("HTTPS", engine.getSSLParameters().getEndpointIdentificationAlgorithm());
        assertEquals("broker.example", engine.getPeerHost());
    }

    @Test
    void eitherSwitchTurnsTheCheckOff() {
        assertNull(factory(TlsOptions.builder().hostnameVerification(false).build(), Map.of())
                .createClientSslEngine("broker.example", 9093, "https").getSSLParameters().getEndpointIdentificationAlgorithm());
        assertNull(factory(TlsOptions.builder().build(), Map.of())
                .createClientSslEngine("broker.example", 9093, "").getSSLParameters().getEndpointIdentificationAlgorithm());
    }

    @Test
    void kafkasProtocolSettingApplies() {
        SSLEngine engine = factory(TlsOptions.builder().build(), Map.of("ssl.enabled.protocols", List.of("TLSv1.2")))
                .createClientSslEngine("broker.example", 9093, "https");
        assertArrayEquals(new String[] {"TLSv1.2"}, engine.getEnabledProtocols());
    }

    @Test
    void withoutTheOptionsItRefusesToWork() {
        assertThrows(ConfigException.class, () -> new TlsEngineFactory().configure(Map.of()));
    }
}
