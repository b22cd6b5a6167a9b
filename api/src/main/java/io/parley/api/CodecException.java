package io.parley.api;

/** A body could not be encoded, or decoded into the type a handler or caller asked for. */
public class CodecException extends MessagingException {

    public CodecException(String message) {
        super(message);
    }

    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
