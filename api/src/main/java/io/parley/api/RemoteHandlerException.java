package io.parley.api;

/**
 * The handler on the remote side failed and sent an error reply (headers {@code Nats-Service-Error}
 * and {@code Nats-Service-Error-Code}). Arrives as soon as the error reply does, not at the timeout.
 */
public class RemoteHandlerException extends RequestException {

    private final String remoteMessage;
    private final int code;

    public RemoteHandlerException(String destination, String transport, String remoteMessage, int code) {
        super(Reason.REMOTE_ERROR, destination, null, transport, "remote handler failed (code " + code + "): "
                + remoteMessage);
        this.remoteMessage = remoteMessage;
        this.code = code;
    }

    /** What the remote side said went wrong. */
    public String remoteMessage() {
        return remoteMessage;
    }

    /**
     * The error code: 500 for a handler that threw, 400 for a request it could not read or decode, 502
     * for a reply that arrived but could not be read here.
     */
    public int code() {
        return code;
    }
}
