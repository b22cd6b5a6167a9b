package io.parley.api;

/**
 * Root of every exception Parley throws. Unchecked: messaging failures are usually handled at a
 * boundary, not at each call. Broker-native exceptions are chained as the cause, never thrown as is.
 */
public class MessagingException extends RuntimeException {

    public MessagingException(String message) {
        super(message);
    }

    public MessagingException(String message, Throwable cause) {
        super(message, cause);
    }
}
