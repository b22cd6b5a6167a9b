package io.parley.api;

import io.parley.fakes.BrokenTransportProvider;
import io.parley.fakes.DupOneTransportProvider;
import io.parley.fakes.DupTwoTransportProvider;
import io.parley.fakes.FailingOpenTransportProvider;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transport discovery through {@link Broker#connect}: the memory provider from src/main plus the
 * test providers of src/test/resources/META-INF/services (two claiming "dup", one whose constructor
 * throws, one whose open() throws).
 */
class BrokerConnectTest {

    @Test
    void unknownSchemeNamesSchemeFoundTransportsArtifactAndLoadFailureWithoutCredentials() {
        TransportNotFoundException e = assertThrows(TransportNotFoundException.class,
                () -> Broker.connect("nats://user:secret@host:4222"));
        String message = e.getMessage();

        assertEquals("nats", e.scheme());
        assertTrue(message.contains("'nats'"), message);
        assertTrue(e.found().stream().anyMatch(found -> found.startsWith("memory")), e.found().toString());
        assertTrue(message.contains("memory"), message);
        assertTrue(message.contains("io.parley:parley-transport-nats"), message);
        assertTrue(message.contains(BrokenTransportProvider.class.getName()), "load failure not reported: " + message);
        assertTrue(message.contains(BrokenTransportProvider.FAILURE), "cause of the load failure missing: " + message);
        assertFalse(message.contains("secret"), message);
        assertFalse(message.contains("user:"), message);
        assertInstanceOf(ConfigurationException.class, e);
    }

    @Test
    void unknownSchemeWithQueryDoesNotLeakIt() {
        TransportNotFoundException e = assertThrows(TransportNotFoundException.class,
                () -> Broker.connect("redis://host:6379/0?password=hunter2"));
        assertEquals("redis", e.scheme());
        assertTrue(e.getMessage().contains("io.parley:parley-transport-redis"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void twoProvidersClaimingOneSchemeAreAmbiguous() {
        AmbiguousTransportException e = assertThrows(AmbiguousTransportException.class,
                () -> Broker.connect("dup://x"));

        assertEquals(2, e.candidates().size(), e.candidates().toString());
        assertTrue(e.candidates().stream().anyMatch(c -> c.contains("dup-one")
                && c.contains(DupOneTransportProvider.class.getName())), e.candidates().toString());
        assertTrue(e.candidates().stream().anyMatch(c -> c.contains("dup-two")
                && c.contains(DupTwoTransportProvider.class.getName())), e.candidates().toString());
        assertTrue(e.getMessage().contains("dup-one"), e.getMessage());
        assertTrue(e.getMessage().contains("dup-two"), e.getMessage());
        assertTrue(e.getMessage().contains("'dup'"), e.getMessage());
        assertTrue(e.getMessage().contains(BrokenTransportProvider.class.getName()),
                "load failure not reported: " + e.getMessage());
    }

    @Test
    void explicitTransportOptionWinsOverScheme() {
        BrokerOptions options = BrokerOptions.builder().transport("memory").build();
        try (Broker broker = Broker.connect("dup://" + UUID.randomUUID(), options)) {
            assertEquals("memory", broker.transportName());
        }
    }

    @Test
    void explicitTransportNameIsCaseInsensitive() {
        BrokerOptions options = BrokerOptions.builder().transport(" Memory ").build();
        try (Broker broker = Broker.connect("dup://" + UUID.randomUUID(), options)) {
            assertEquals("memory", broker.transportName());
        }
    }

    @Test
    void systemPropertyChoosesTransport() {
        String before = System.getProperty(BrokerOptions.TRANSPORT_PROPERTY);
        System.setProperty(BrokerOptions.TRANSPORT_PROPERTY, "memory");
        try (Broker broker = Broker.connect("dup://" + UUID.randomUUID())) {
            assertEquals("memory", broker.transportName());
        } finally {
            restore(before);
        }
    }

    @Test
    void explicitOptionWinsOverSystemProperty() {
        String before = System.getProperty(BrokerOptions.TRANSPORT_PROPERTY);
        System.setProperty(BrokerOptions.TRANSPORT_PROPERTY, "dup-one");
        try (Broker broker = Broker.connect("dup://" + UUID.randomUUID(),
                BrokerOptions.builder().transport("memory").build())) {
            assertEquals("memory", broker.transportName());
        } finally {
            restore(before);
        }
    }

    @Test
    void explicitUnknownTransportIsNotFound() {
        TransportNotFoundException e = assertThrows(TransportNotFoundException.class,
                () -> Broker.connect("memory://", BrokerOptions.builder().transport("kafka").build()));
        assertEquals("kafka", e.scheme());
        assertTrue(e.getMessage().contains("'kafka'"), e.getMessage());
        assertTrue(e.getMessage().contains("io.parley:parley-transport-kafka"), e.getMessage());
    }

    // Regression (was a bug in TransportDiscovery.java, line 71): the ambiguity message tests `explicit != null` where the
    // match above tests `explicit != null && !explicit.isBlank()`. With -Dparley.transport= (empty,
    // e.g. an unset variable in a launch script) the scheme decides, yet the message says
    // "Several Parley transports claim the name ''" instead of naming scheme 'dup'.
    @Test
    void blankSystemPropertyFallsBackToSchemeAndSaysSo() {
        String before = System.getProperty(BrokerOptions.TRANSPORT_PROPERTY);
        System.setProperty(BrokerOptions.TRANSPORT_PROPERTY, "");
        try {
            AmbiguousTransportException e = assertThrows(AmbiguousTransportException.class,
                    () -> Broker.connect("dup://x"));
            assertTrue(e.getMessage().contains("scheme 'dup'"), e.getMessage());
        } finally {
            restore(before);
        }
    }

    @Test
    void blankSystemPropertyFallsBackToScheme() {
        String before = System.getProperty(BrokerOptions.TRANSPORT_PROPERTY);
        System.setProperty(BrokerOptions.TRANSPORT_PROPERTY, "  ");
        try (Broker broker = Broker.connect("memory://" + UUID.randomUUID())) {
            assertEquals("memory", broker.transportName());
        } finally {
            restore(before);
        }
    }

    @Test
    void memorySchemeConnects() {
        try (Broker broker = Broker.connect("memory://" + UUID.randomUUID())) {
            assertEquals("memory", broker.transportName());
            assertNotNull(broker.rpc());
        }
        try (Broker broker = Broker.connect("memory://")) {
            assertEquals("memory", broker.transportName());
        }
        try (Broker broker = Broker.connect("MEMORY://" + UUID.randomUUID())) {
            assertEquals("memory", broker.transportName());
        }
    }

    @Test
    void blankUriIsConfigurationError() {
        for (String blank : new String[] {null, "", "   "}) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> Broker.connect(blank));
            assertFalse(e instanceof TransportNotFoundException, e.getMessage());
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
        }
    }

    @Test
    void uriWithoutSchemeIsConfigurationError() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Broker.connect("just-a-host"));
        assertFalse(e instanceof TransportNotFoundException, e.getMessage());
        assertTrue(e.getMessage().contains("no scheme"), e.getMessage());

        ConfigurationException withCredentials = assertThrows(ConfigurationException.class,
                () -> Broker.connect("//user:secret@host:4222"));
        assertTrue(withCredentials.getMessage().contains("no scheme"), withCredentials.getMessage());
        assertFalse(withCredentials.getMessage().contains("secret"), withCredentials.getMessage());
        assertFalse(withCredentials.getMessage().contains("user:"), withCredentials.getMessage());
    }

    @Test
    void invalidUriIsConfigurationErrorWithoutCredentials() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Broker.connect("memory://user:secret@bad host:4222"));
        assertFalse(e instanceof TransportNotFoundException, e.getMessage());
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
        assertFalse(e.getMessage().contains("user:"), e.getMessage());
        assertEquals(null, e.getCause(), "the URISyntaxException repeats the URI and must not be chained");
    }

    @Test
    void openFailureIsConnectionExceptionWithoutCredentials() {
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> Broker.connect("failing-open://user:secret@host:1234/vhost?token=abc"));
        String message = e.getMessage();

        assertTrue(message.contains("failing-open"), message);
        assertTrue(message.contains("host:1234"), message);
        assertFalse(message.contains("secret"), message);
        assertFalse(message.contains("user:"), message);
        assertFalse(message.contains("token=abc"), message);
        // the broker-native exception is chained, not thrown
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void openFailureOfChosenProviderIsReportedForThatProvider() {
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> Broker.connect("dup://x", BrokerOptions.builder().transport("dup-one").build()));
        assertTrue(e.getMessage().contains("dup-one"), e.getMessage());
        assertInstanceOf(UnsupportedOperationException.class, e.getCause());
    }

    private static void restore(String before) {
        if (before == null) {
            System.clearProperty(BrokerOptions.TRANSPORT_PROPERTY);
        } else {
            System.setProperty(BrokerOptions.TRANSPORT_PROPERTY, before);
        }
    }
}
