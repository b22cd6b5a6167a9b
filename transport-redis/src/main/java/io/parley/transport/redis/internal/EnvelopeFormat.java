package io.parley.transport.redis.internal;

import java.util.Locale;

/** The shapes of envelope a Redis message can travel in (see docs/WIRE.md). */
public enum EnvelopeFormat {

    /** FastStream 0.6+ binary envelope: magic, version, headers, then the untouched payload. The default. */
    FASTSTREAM_BINARY("faststream-binary"),
    /** FastStream up to 0.5: {@code {"data": "...", "headers": {...}}}. Text payloads only. */
    FASTSTREAM_JSON("faststream-json"),
    /** Propan: {@code {"data": "...", "headers": {"content-type": ...}, "reply_to": "..."}}. Text payloads only. */
    PROPAN_JSON("propan-json");

    private final String propertyValue;

    EnvelopeFormat(String propertyValue) {
        this.propertyValue = propertyValue;
    }

    /** The value of the {@code redis.envelope} property that selects this format. */
    public String propertyValue() {
        return propertyValue;
    }

    /** The format named by a property value, or {@code null} when none has that name. */
    static EnvelopeFormat fromProperty(String value) {
        String wanted = value.strip().toLowerCase(Locale.ROOT);
        for (EnvelopeFormat format : values()) {
            if (format.propertyValue.equals(wanted)) {
                return format;
            }
        }
        return null;
    }
}
