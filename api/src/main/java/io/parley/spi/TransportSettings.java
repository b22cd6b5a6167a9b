package io.parley.spi;

import io.parley.api.ConfigurationException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Small readers that every transport needs for its string properties and URIs. Each reader adds
 * what is wrong to {@code problems} and returns the fallback, so that a transport reports every
 * problem at once in one {@link io.parley.api.ConfigurationException}.
 */
public final class TransportSettings {

    private TransportSettings() {
    }

    /** The whole number under {@code key}, within [{@code min}, {@code max}]; {@code fallback} when absent or wrong. */
    public static long number(Map<String, String> properties, String key, long fallback, long min, long max,
                              List<String> problems) {
        String value = properties.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            long parsed = Long.parseLong(value.strip());
            if (parsed < min || parsed > max) {
                problems.add(key + " must be between " + min + " and " + max + ", not " + parsed);
                return fallback;
            }
            return parsed;
        } catch (NumberFormatException e) {
            problems.add(key + " must be a whole number, not '" + value + "'");
            return fallback;
        }
    }

    /** {@code true} or {@code false} (any case) under {@code key}; {@code fallback} when absent or wrong. */
    public static boolean flag(Map<String, String> properties, String key, boolean fallback, List<String> problems) {
        String value = properties.get(key);
        if (value == null) {
            return fallback;
        }
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        problems.add(key + " must be true or false, not '" + value + "'");
        return fallback;
    }

    /**
     * Adds a problem for each property under {@code prefix} (e.g. {@code "nats."}) that is neither one of
     * {@code known} nor under one of {@code openPrefixes} (families of keys the transport passes on, such
     * as {@code kafka.client.}): a misspelt key is an error, never silently ignored. {@code kind} names
     * the properties in the message ("property", "subscription property"), {@code hint} (may be empty)
     * says where such a key may belong instead.
     */
    public static void unknownKeys(Map<String, String> properties, String prefix, Set<String> known,
                                   List<String> openPrefixes, String kind, String hint, List<String> problems) {
        for (String key : new TreeSet<>(properties.keySet())) {
            if (key.startsWith(prefix) && !known.contains(key) && openPrefixes.stream().noneMatch(key::startsWith)) {
                StringBuilder text = new StringBuilder("unknown ").append(kind).append(' ').append(key);
                if (!hint.isEmpty()) {
                    text.append(" (").append(hint).append(')');
                }
                text.append("; known: ").append(String.join(", ", new TreeSet<>(known)));
                openPrefixes.forEach(open -> text.append(", ").append(open).append('*'));
                problems.add(text.toString());
            }
        }
    }

    /**
     * Throws one {@link ConfigurationException} naming every problem, {@code Cannot use <broker> URI
     * <redactedUri>: <problem>; <problem>}, when there is any. Pass {@link TransportContext#redactedUri()}:
     * the message must never hold credentials.
     */
    public static void throwIfAny(String broker, String redactedUri, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new ConfigurationException("Cannot use " + broker + " URI " + redactedUri + ": "
                    + String.join("; ", problems), problems);
        }
    }

    /** Percent-decodes a raw URI component as UTF-8; unlike form decoding, '+' stays a plus. */
    public static String percentDecode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            int hi = c == '%' && i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
            if (lo >= 0) {
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
