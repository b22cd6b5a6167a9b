package io.parley.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A handler's return value that sets reply headers as well as the body; also a body to publish or
 * send with headers of its own. Its headers are sent together with those of the request or publish
 * options; on a name in both, the options win. Immutable.
 */
public final class Reply {

    private final Object body;
    private final Map<String, String> headers;

    private Reply(Object body, Map<String, String> headers) {
        this.body = body;
        this.headers = headers;
    }

    public static Reply of(Object body) {
        return new Reply(body, Map.of());
    }

    public Reply withHeader(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return new Reply(body, Map.copyOf(copy));
    }

    public Object body() {
        return body;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
