package io.parley.api;

import java.util.List;

/**
 * No transport on the class path handles the URI's scheme (or the transport named explicitly).
 * The message names the scheme, the transports that were found, those that failed to load, and
 * the artifact to add.
 */
public class TransportNotFoundException extends ConfigurationException {

    private final String scheme;
    private final List<String> found;

    public TransportNotFoundException(String message, String scheme, List<String> found) {
        super(message);
        this.scheme = scheme;
        this.found = List.copyOf(found);
    }

    /** The URI scheme (or explicit transport name) that nothing matched. */
    public String scheme() {
        return scheme;
    }

    /** The transports that were found, each as {@code name [schemes]}. */
    public List<String> found() {
        return found;
    }
}
