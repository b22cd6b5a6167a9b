package io.parley.tck;

import java.util.List;

/**
 * Puts on the broker what the Parley API would never produce (a header value that is not UTF-8, a
 * truncated envelope, a frame of garbage), as a buggy or hostile peer could: rule 10.06 checks that
 * none of it stops a subscription. Written with the broker's own client or a raw socket, against the
 * broker of {@link KitEnvironment#uri()}. Given to the kit with
 * {@link KitEnvironment.Builder#rawSender(RawSender)}.
 */
public interface RawSender {

    /** The kinds of bad input this broker can carry, each a short description ("header value not UTF-8"). */
    List<String> poisons();

    /**
     * Puts one message of kind {@code poison} on {@code destination}: a Parley destination name, or the
     * reply-to of a request a kit handler received (10.06 also answers requests with each poison, to
     * check that a bad reply never stops the requester).
     *
     * @param replyTo       a Parley destination the kit subscribes to, to be carried as the message's
     *                      reply-to, or {@code null} for a message without one (a reply)
     * @param correlationId to be carried as the message's correlation id
     * @return whether the transport can still read the reply-to and correlation id of this message, so
     * that an error reply is due (false when the poison destroys them, e.g. a truncated envelope)
     */
    boolean send(String poison, String destination, String replyTo, String correlationId) throws Exception;
}
