package io.parley.spi;

import java.util.Set;

/**
 * Entry point of a transport, found with {@link java.util.ServiceLoader}. A transport jar registers
 * its provider both in {@code META-INF/services/io.parley.spi.TransportProvider} and with
 * {@code provides io.parley.spi.TransportProvider with ...} in its {@code module-info}.
 * Must have a public no-argument constructor that does no I/O.
 */
public interface TransportProvider {

    /** Short name, used in messages and for an explicit choice, e.g. {@code "nats"}. */
    String name();

    /** The URI schemes this transport handles, lower case, e.g. {@code "nats", "tls"}. */
    Set<String> schemes();

    /**
     * Connects. Throws {@link io.parley.api.ConnectionException} when the broker cannot be reached
     * and {@link io.parley.api.ConfigurationException} for a URI or property it cannot use; neither
     * message may hold credentials (use {@link TransportContext#redactedUri()}).
     */
    Transport open(TransportContext context);
}
