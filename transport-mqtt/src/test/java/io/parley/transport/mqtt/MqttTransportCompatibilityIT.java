package io.parley.transport.mqtt;

import io.parley.api.BrokerOptions;
import io.parley.tck.BrokerProcess;
import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TestCertificates;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.AfterAll;

import java.util.ArrayList;
import java.util.List;

/**
 * The kit against the shared Mosquitto ({@code PARLEY_MQTT_URI}, else 127.0.0.1:1883), with private
 * Mosquitto processes for the fault rules (killed, frozen, restarted), the refused login and TLS.
 */
class MqttTransportCompatibilityIT extends TransportCompatibilityKit {

    static final String SHARED_URI = System.getenv().getOrDefault("PARLEY_MQTT_URI", "mqtt://127.0.0.1:1883");
    private static final String USER = "parley";
    private static final String SECRET = "s3cret-" + Long.toHexString(System.nanoTime());
    static final List<BrokerProcess> started = new ArrayList<>();
    private static BrokerProcess faults;
    private static BrokerProcess login;
    private static BrokerProcess tls;

    /** The broker of the environment's URI. */
    protected String brokerUri() throws Exception {
        return SHARED_URI;
    }

    /** What a subclass adds to the environment. */
    protected KitEnvironment.Builder more(KitEnvironment.Builder builder) throws Exception {
        return builder;
    }

    @Override
    protected KitEnvironment environment() {
        try {
            String uri = brokerUri();
            KitEnvironment.Builder builder = KitEnvironment.builder(uri, "mqtt")
                    .lacks(Capability.AT_LEAST_ONCE, "Mosquitto keeps a shared-subscription message with the member"
                            + " it chose: when that member's process dies, its session and unacknowledged messages"
                            + " end with it and none goes to the other members (MQTT 5 leaves redistribution to"
                            + " the broker), and the transport acknowledges a message when it is received")
                    .brokerControl(faultBroker())
                    .rawSender(new MqttRawSender(uri));
            TestCertificates certificates = TestCertificates.shared();
            BrokerProcess tlsBroker = tlsBroker(certificates);
            builder.tls(tlsBroker.uri(), tlsBroker.uri().replace("127.0.0.1", "localhost"), certificates);
            if (PrivateMosquitto.installed("mosquitto_passwd")) {
                BrokerProcess loginBroker = loginBroker();
                builder.refusedLogin(loginBroker.uri().replace("mqtt://", "mqtt://" + USER + ":" + SECRET + "x@"),
                        BrokerOptions.defaults(), SECRET);
            } else {
                builder.lacks(Capability.AUTHENTICATION, "mosquitto_passwd is not installed here, so no broker with"
                        + " a password file can be started");
            }
            return more(builder).build();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the private Mosquitto brokers of the kit: " + e, e);
        }
    }

    private static synchronized BrokerProcess faultBroker() throws Exception {
        if (faults == null) {
            faults = PrivateMosquitto.plain();
            started.add(faults);
        }
        return faults;
    }

    private static synchronized BrokerProcess loginBroker() throws Exception {
        if (login == null) {
            login = PrivateMosquitto.withLogin(USER, SECRET);
            started.add(login);
        }
        return login;
    }

    private static synchronized BrokerProcess tlsBroker(TestCertificates certificates) throws Exception {
        if (tls == null) {
            tls = PrivateMosquitto.tls(certificates);
            started.add(tls);
        }
        return tls;
    }

    static {
        // a test JVM that is stopped still stops its brokers
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stopBrokers();
            } catch (Exception e) {
                // the JVM ends anyway
            }
        }, "stop-private-mosquittos"));
    }

    @AfterAll
    static synchronized void stopBrokers() throws Exception {
        for (BrokerProcess broker : started) {
            broker.close();
        }
        started.clear();
        faults = null;
        login = null;
        tls = null;
    }
}
