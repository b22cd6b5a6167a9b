package io.parley.transport.nats;

import io.parley.tck.RawSender;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Header blocks no Parley (or jnats) publisher writes but nats-server passes through from anyone: a
 * raw TCP client speaking CONNECT, HPUB and PING itself. Each message carries a JSON body the kit's
 * handler can read, the reply-to, and the correlation id in the {@code correlation_id} header, except
 * where the poison itself destroys them.
 */
final class NatsRawSender implements RawSender {

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE};
    private static final String BODY = "{\"id\":\"raw\",\"quantity\":1,\"items\":[],\"prices\":{}}";

    /** A poison: its header block for a correlation id, and whether that id can still be read. */
    record Poison(Function<String, byte[]> headers, boolean answerable) {
    }

    static final Map<String, Poison> POISONS = new LinkedHashMap<>();

    static {
        POISONS.put("a header value that is not UTF-8 (C3 28 FF FE)", new Poison(id -> block(
                "NATS/1.0\r\n" + json(id) + "x-poison: ", NOT_UTF8, "\r\n\r\n"), true));
        POISONS.put("a header value in UTF-8 that is not ASCII (as nats-py and nats.go send it)", new Poison(id -> block(
                "NATS/1.0\r\n" + json(id) + "x-name: caf\u00e9 \u00fcber\r\n\r\n"), true));
        POISONS.put("a header block without the NATS/1.0 line", new Poison(id -> block(json(id) + "\r\n"), true));
        POISONS.put("a header line without a colon", new Poison(id -> block(
                "NATS/1.0\r\n" + json(id) + "no colon here\r\n\r\n"), true));
        POISONS.put("a status line whose code is not a number", new Poison(id -> block(
                "NATS/1.0 abc Bad\r\n" + json(id) + "\r\n"), true));
        POISONS.put("a CR inside a header value", new Poison(id -> block("NATS/1.0\r\n" + json(id) + "x: a\rb\r\n\r\n"), true));
        POISONS.put("a LF inside a header value", new Poison(id -> block("NATS/1.0\r\n" + json(id) + "x: a\nb\r\n\r\n"), true));
        POISONS.put("a header name that is not ASCII", new Poison(id -> block(
                "NATS/1.0\r\n" + json(id) + "n\u00e4me: v\r\n\r\n"), true));
        POISONS.put("a header name that is empty", new Poison(id -> block("NATS/1.0\r\n" + json(id) + ": v\r\n\r\n"), true));
        POISONS.put("a header block cut short (no empty line at its end)", new Poison(id -> block(
                "NATS/1.0\r\n" + json(id)), true));
        POISONS.put("a NATS status message (503) published to a service subject", new Poison(id -> block(
                "NATS/1.0 503\r\n" + json(id) + "\r\n"), true));
        POISONS.put("garbage instead of a header block", new Poison(id -> block("\u0000\u0001garbage \u00ff"), false));

    }

    private final String host;
    private final int port;

    NatsRawSender(String uri) {
        URI parsed = URI.create(uri);
        this.host = parsed.getHost();
        this.port = parsed.getPort() < 0 ? 4222 : parsed.getPort();
    }

    @Override
    public List<String> poisons() {
        return List.copyOf(POISONS.keySet());
    }

    @Override
    public boolean send(String poison, String destination, String replyTo, String correlationId) throws IOException {
        Poison kind = POISONS.get(poison);
        if (kind == null) {
            throw new IllegalArgumentException("no poison '" + poison + "'");
        }
        publish(destination, replyTo, kind.headers().apply(correlationId), BODY.getBytes(StandardCharsets.UTF_8));
        return kind.answerable();
    }

    /** HPUB on a connection of its own, confirmed by the server's PONG (an -ERR fails it). */
    void publish(String subject, String replyTo, byte[] headers, byte[] body) throws IOException {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String info = line(in);
            if (!info.startsWith("INFO")) {
                throw new IOException("not a NATS server at " + host + ":" + port + ": " + info);
            }
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            frame.writeBytes(ascii("CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1}\r\n"));
            frame.writeBytes(ascii("HPUB " + subject + (replyTo == null ? "" : " " + replyTo) + " " + headers.length
                    + " " + (headers.length + body.length) + "\r\n"));
            frame.writeBytes(headers);
            frame.writeBytes(body);
            frame.writeBytes(ascii("\r\nPING\r\n"));
            out.write(frame.toByteArray());
            out.flush();
            String answer = line(in);
            if (!answer.equals("PONG")) {
                throw new IOException("nats-server did not take the message: " + answer);
            }
        }
    }

    private static String json(String correlationId) {
        return "content-type: application/json\r\ncorrelation_id: " + correlationId + "\r\n";
    }

    private static byte[] block(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] block(String head, byte[] middle, String tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii(head));
        out.writeBytes(middle);
        out.writeBytes(ascii(tail));
        return out.toByteArray();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("nats-server closed the connection");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
