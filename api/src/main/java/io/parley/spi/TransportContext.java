package io.parley.spi;

import io.parley.api.BrokerOptions;

import java.net.URI;

/** What a transport gets when it opens: where to connect, the options, and where replies go. */
public interface TransportContext {

    /** The URI as the user gave it, credentials included: never log it, use {@link #redactedUri()}. */
    URI uri();

    /** The URI without user info and query, safe for logs and messages. */
    String redactedUri();

    BrokerOptions options();

    /** Where the transport hands the replies to requests sent with {@link Transport#request(Envelope)}. */
    ReplyListener replies();
}
