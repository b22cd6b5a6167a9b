package io.parley.api;

/** The broker cannot be reached, or the connection to it failed. The message never holds credentials. */
public class ConnectionException extends MessagingException {

    public ConnectionException(String message) {
        super(message);
    }

    public ConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
