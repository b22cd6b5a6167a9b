package com.example.kit;

import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/**
 * The kit's rules as a third party runs them. This example has no broker of its own, so it runs the
 * kit on Parley's in-process memory:// transport; a real transport gives its broker's URI (and a
 * private broker, a raw sender, TLS certificates: see tck/README.md).
 */
class ExampleTransportCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return KitEnvironment.builder("memory://example-kit", "memory")
                .lacks(Capability.REMOTE_BROKER, "memory:// runs in the client's JVM")
                .lacks(Capability.AT_LEAST_ONCE, "memory:// keeps messages in the JVM: a killed process takes them")
                .lacks(Capability.AUTHENTICATION, "memory:// has no login")
                .lacks(Capability.TLS, "memory:// has no network connection")
                .build();
    }
}
