package io.parley.transport.nats;

import io.parley.tck.BrokerProcess;
import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/** Every rule of the kit against a real nats-server; the fault rules against a private one. */
class NatsTransportCompatibilityIT extends TransportCompatibilityKit {

    /** 1 MiB of body plus the headers must fit the server's max_payload for rule 3.08. */
    private static final long LARGE_BODY_WITH_HEADERS = 1024 * 1024 + 4096;

    private static BrokerProcess faultServer;

    /** A private nats-server for the fault rules, started once per test JVM and killed at its end. */
    static synchronized BrokerProcess faultServer() throws Exception {
        if (faultServer == null) {
            int port = BrokerProcess.freePort();
            faultServer = new BrokerProcess("nats-server", "nats://127.0.0.1:" + port, port,
                    () -> new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port))).start();
            BrokerProcess started = faultServer;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (Exception ignored) {
                    // the JVM is exiting
                }
            }));
        }
        return faultServer;
    }

    @Override
    protected KitEnvironment environment() {
        KitEnvironment.Builder builder = KitEnvironment.builder(NatsTestSupport.URI, "nats");
        long maxPayload;
        try {
            maxPayload = NatsTestSupport.serverMaxPayload();
            builder.brokerControl(faultServer());
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the NATS server's max_payload at " + NatsTestSupport.URI, e);
        }
        if (maxPayload < LARGE_BODY_WITH_HEADERS) {
            builder.lacks(Capability.LARGE_MESSAGES, "the server's max_payload is " + maxPayload
                    + " bytes (nats-server's default is 1 MB); raise max_payload to carry 1 MiB bodies");
        }
        return builder.bodyLimit(maxPayload)
                .lacks(Capability.AT_LEAST_ONCE, "core NATS delivers at most once: a message a dead member"
                        + " was handling is gone (JetStream would keep it; Parley does not use it yet)")
                .build();
    }
}
