package io.parley.api;

import java.util.List;

/** Options or a broker URI that cannot work; {@link #problems()} lists every problem found at once. */
public class ConfigurationException extends MessagingException {

    private final List<String> problems;

    public ConfigurationException(String message) {
        this(message, List.of(message));
    }

    public ConfigurationException(String message, List<String> problems) {
        super(message);
        this.problems = List.copyOf(problems);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
        this.problems = List.of(message);
    }

    public List<String> problems() {
        return problems;
    }

    /**
     * One exception for every problem found: {@code Invalid <what>: <problem>; <problem>}. Transports
     * collect their problems (see {@code io.parley.spi.TransportSettings}) and throw this once.
     */
    public static ConfigurationException of(String what, List<String> problems) {
        return new ConfigurationException("Invalid " + what + ": " + String.join("; ", problems), problems);
    }
}
