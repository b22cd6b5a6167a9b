package io.parley.internal;

import io.parley.api.ConfigurationException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/** A broker URI with its scheme and a redacted form that is safe to log (no user info, no query). */
record BrokerUri(URI uri, String scheme, String redacted) {

    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");
    private static final Pattern USER_INFO = Pattern.compile("//[^/?#]*@");

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
            return new BrokerUri(new URI(candidate), scheme, redacted);
        } catch (URISyntaxException e) {
            // the exception text repeats the URI, credentials included: do not chain it
            throw new ConfigurationException("The broker URI '" + redacted + "' is not a valid URI (" + e.getReason()
                    + " at index " + e.getIndex() + ")");
        }
    }

    static String redact(String text) {
        String withoutUser = USER_INFO.matcher(text).replaceFirst("//***@");
        int query = withoutUser.indexOf('?');
        return query < 0 ? withoutUser : withoutUser.substring(0, query) + "?***";
    }
}
