package io.parley.api;

/** The broker (or subscription) was used after {@link Broker#close()}. */
public class BrokerClosedException extends MessagingException {

    public BrokerClosedException(String message) {
        super(message);
    }
}
