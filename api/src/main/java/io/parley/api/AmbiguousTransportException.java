package io.parley.api;

import java.util.List;

/** Several transports on the class path claim the same scheme; Parley never picks the first one. */
public class AmbiguousTransportException extends ConfigurationException {

    private final List<String> candidates;

    public AmbiguousTransportException(String message, List<String> candidates) {
        super(message);
        this.candidates = List.copyOf(candidates);
    }

    /** The providers that claim the scheme, each as {@code name (class)}. */
    public List<String> candidates() {
        return candidates;
    }
}
