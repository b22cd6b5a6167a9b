package io.parley.transport.nats;

import io.parley.api.BrokerOptions;
import io.parley.tck.BrokerProcess;
import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TestCertificates;
import io.parley.tck.TransportCompatibilityKit;

import java.util.UUID;

/**
 * Every rule of the kit against a real nats-server; the fault rules against a private one that checks
 * credentials, the raw poisons of {@link NatsRawSender} on the shared one, and the TLS rules against a
 * private one that speaks TLS only and requires client certificates.
 */
class NatsTransportCompatibilityIT extends TransportCompatibilityKit {

    /** 1 MiB of body plus the headers must fit the server's max_payload for rule 3.08. */
    private static final long LARGE_BODY_WITH_HEADERS = 1024 * 1024 + 4096;

    @Override
    protected KitEnvironment environment() {
        KitEnvironment.Builder builder = KitEnvironment.builder(NatsTestSupport.URI, "nats");
        long maxPayload;
        BrokerProcess faultServer;
        BrokerProcess tlsServer;
        try {
            maxPayload = NatsTestSupport.serverMaxPayload();
            faultServer = NatsTestSupport.faultServer();
            tlsServer = NatsTestSupport.tlsServer();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the NATS server's max_payload at " + NatsTestSupport.URI
                    + " or start the private nats-servers", e);
        }
        if (maxPayload < LARGE_BODY_WITH_HEADERS) {
            builder.lacks(Capability.LARGE_MESSAGES, "the server's max_payload is " + maxPayload
                    + " bytes (nats-server's default is 1 MB); raise max_payload to carry 1 MiB bodies");
        }
        String wrongPassword = "wrong-" + UUID.randomUUID();
        return builder.bodyLimit(maxPayload)
                .brokerControl(faultServer)
                .rawSender(new NatsRawSender(NatsTestSupport.URI))
                .tls(tlsServer.uri(), "tls://localhost:" + tlsServer.port(), TestCertificates.shared())
                .refusedLogin(NatsTestSupport.faultUri(faultServer.port(), wrongPassword), BrokerOptions.defaults(),
                        wrongPassword)
                .lacks(Capability.AT_LEAST_ONCE, "core NATS delivers at most once: a message a dead member"
                        + " was handling is gone (JetStream would keep it; Parley does not use it yet)")
                .build();
    }
}
