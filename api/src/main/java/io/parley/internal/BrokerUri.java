package io.parley.internal;

import io.parley.api.ConfigurationException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/** A broker URI with its scheme and a redacted form that is safe to log (no user info, no query). */
record BrokerUri(URI uri, String scheme, String redacted) {

    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");

    static BrokerUri parse(String text) {
        if (text == null || text.isBlank()) {
            throw new ConfigurationException("The broker URI is missing: pass one such as memory://, nats://host:4222 or amqp://host:5672");
        }
        String redacted = redact(text.strip());
        var matcher = SCHEME.matcher(text.strip());
        if (!matcher.find()) {
            throw new ConfigurationException("The broker URI '" + redacted
                    + "' has no scheme: write it as scheme://host:port, e.g. nats://localhost:4222");
        }
        String scheme = matcher.group(1).toLowerCase(Locale.ROOT);
        String candidate = text.strip();
        if (candidate.endsWith("://")) {
            candidate = candidate + "/"; // "memory://" has an empty authority, which java.net.URI refuses
        }
        try {
            return new BrokerUri(new URI(bracketsEscapedInServerList(candidate)), scheme, redacted);
        } catch (URISyntaxException e) {
            // the exception text repeats the URI, credentials included: do not chain it
            throw new ConfigurationException("The broker URI '" + redacted + "' is not a valid URI (" + e.getReason()
                    + " at index " + e.getIndex() + ")");
        }
    }

    /**
     * java.net.URI takes an IPv6 address in brackets only as the one host of the URI: in a server list
     * ({@code nats://[::1]:4222,[::2]:4222}) it refuses them, so there they are percent-encoded, which
     * {@code io.parley.spi.BrokerAddress} decodes again.
     */
    static String bracketsEscapedInServerList(String text) {
        int start = text.indexOf("//");
        if (start < 0) {
            return text;
        }
        start += 2;
        int end = start;
        while (end < text.length() && "/?#".indexOf(text.charAt(end)) < 0) {
            end++;
        }
        String authority = text.substring(start, end);
        String servers = authority.substring(authority.lastIndexOf('@') + 1);
        if (servers.indexOf(',') < 0 || servers.indexOf('[') < 0) {
            return text;
        }
        String userInfo = authority.substring(0, authority.length() - servers.length());
        return text.substring(0, start) + userInfo + servers.replace("[", "%5B").replace("]", "%5D") + text.substring(end);
    }

    /**
     * Hides user info, query and fragment. Passwords are often left unencoded and may hold '/', '?'
     * or '#', so everything from "//" to the LAST '@' counts as user info: over-redacting a rare
     * '@' in a path is harmless, leaking a password is not.
     */
    static String redact(String text) {
        int authority = text.indexOf("//");
        int at = text.lastIndexOf('@');
        String withoutUser = authority >= 0 && at > authority
                ? text.substring(0, authority + 2) + "***" + text.substring(at)
                : text;
        int query = indexOfAny(withoutUser, '?', '#');
        return query < 0 ? withoutUser : withoutUser.substring(0, query) + "?***";
    }

    private static int indexOfAny(String text, char first, char second) {
        int a = text.indexOf(first);
        int b = text.indexOf(second);
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    }
}
