package io.parley.transport.nats.internal;

import io.nats.client.support.IncomingHeadersProcessor;
import io.parley.spi.Envelope;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Header blocks of incoming messages that jnats 2.26 cannot read, made readable. jnats' reader thread
 * parses each block with {@link IncomingHeadersProcessor}, and any exception it throws (a value byte
 * over 127, CR or LF in a value, no {@code NATS/1.0} line, a line without ':', a status code that is
 * not a number, an empty block) ends that thread without a word: the connection stays CONNECTED and
 * delivers nothing more. The server passes such blocks through from any publisher, so
 * {@link ProtocolGuard} hands every block to {@link #readable(byte[], int, int)} first.
 */
final class HeaderBlocks {

    /** Marks a block that replaced an unreadable one; its value says what was wrong. */
    static final String UNREADABLE = "Parley-Unreadable";

    private static final byte[] VERSION = "NATS/1.0".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_CORRELATION_ID = 256;

    private HeaderBlocks() {
    }

    /**
     * The block to give jnats instead of {@code block[from, from + length)}, or {@code null} when
     * jnats reads it as it is: the same headers with non-ASCII (or CR/LF) values as RFC 2047 encoded
     * words when every line could be read, else a block holding only {@link #UNREADABLE} with the
     * reason, and the {@code correlation_id} when it was readable.
     */
    static byte[] readable(byte[] block, int from, int length) {
        if (plain(block, from, length)) {
            return null; // nearly every block: no copy, no second parse
        }
        byte[] exact = Arrays.copyOfRange(block, from, from + length);
        String refusal = jnatsRefusal(exact);
        if (refusal == null) {
            return null; // e.g. a status line (503 no responders)
        }
        Repair repair = new Repair(exact);
        if (repair.problem == null) {
            byte[] repaired = repair.repaired.toByteArray();
            if (jnatsRefusal(repaired) == null) {
                return repaired;
            }
            repair.problem = "the header block cannot be read (" + refusal + ")";
        }
        return marker(repair.problem, repair.correlationId);
    }

    /** Why jnats refuses {@code block}, or {@code null} when it reads it. */
    static String jnatsRefusal(byte[] block) {
        try {
            new IncomingHeadersProcessor(block);
            return null;
        } catch (RuntimeException e) { // what would end jnats' reader thread
            return String.valueOf(e.getMessage());
        }
    }

    /**
     * Whether the block is in the plain form jnats always reads: {@code NATS/1.0} CRLF, lines of a
     * printable ASCII name, ':' and a value of tab or printable ASCII, each ending in CRLF, then CRLF.
     */
    static boolean plain(byte[] b, int from, int length) {
        int end = from + length;
        if (length < VERSION.length + 4) {
            return false;
        }
        for (int i = 0; i < VERSION.length; i++) {
            if (b[from + i] != VERSION[i]) {
                return false;
            }
        }
        int i = from + VERSION.length;
        if (b[i] != '\r' || b[i + 1] != '\n') {
            return false; // a status line, or something else: the slow path decides
        }
        i += 2;
        while (true) {
            if (i + 1 >= end) {
                return false;
            }
            if (b[i] == '\r') {
                return b[i + 1] == '\n' && i + 2 == end;
            }
            int nameStart = i;
            while (i < end && b[i] != ':') {
                if (b[i] < 33 || b[i] > 126) {
                    return false;
                }
                i++;
            }
            if (i == nameStart || i >= end) {
                return false;
            }
            i++; // ':'
            while (i < end && b[i] != '\r') {
                if ((b[i] < 32 && b[i] != '\t') || b[i] > 126) {
                    return false;
                }
                i++;
            }
            if (i + 1 >= end || b[i + 1] != '\n') {
                return false;
            }
            i += 2;
        }
    }

    /** A block with only the marker and, when known, the correlation id. */
    static byte[] marker(String problem, String correlationId) {
        StringBuilder block = new StringBuilder("NATS/1.0\r\n").append(UNREADABLE).append(": ").append(ascii(problem))
                .append("\r\n");
        if (correlationId != null) {
            block.append(Envelope.CORRELATION_ID).append(": ").append(correlationId).append("\r\n");
        }
        return block.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Printable ASCII only, so the text itself is a valid header value. */
    private static String ascii(String text) {
        StringBuilder clean = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            clean.append(c >= 32 && c < 127 ? c : '?');
        }
        return clean.toString().strip();
    }

    /** A line by line reading of a block jnats refused: the block rebuilt, or the first problem found. */
    private static final class Repair {
        final ByteArrayOutputStream repaired = new ByteArrayOutputStream();
        String problem;
        String correlationId;

        Repair(byte[] block) {
            int lineStart = 0;
            int line = 0;
            boolean terminated = false;
            for (int i = 0; i + 1 < block.length; i++) {
                if (block[i] != '\r' || block[i + 1] != '\n') {
                    continue;
                }
                if (line == 0) {
                    version(block, lineStart, i);
                } else if (i == lineStart) { // the empty line that ends the block
                    terminated = true;
                    break;
                } else {
                    header(block, lineStart, i);
                }
                line++;
                lineStart = i + 2;
                i++;
            }
            if (line == 0) { // not even one CRLF: jnats' message only, the block may be garbage
                fail("the header block has no line end (not a NATS header block)");
            } else if (!terminated) {
                fail("the header block is truncated (no empty line at its end)");
            }
            repaired.write('\r');
            repaired.write('\n');
        }

        private void version(byte[] block, int start, int end) {
            boolean nats = end - start >= VERSION.length;
            for (int i = 0; nats && i < VERSION.length; i++) {
                nats = block[start + i] == VERSION[i];
            }
            if (!nats) {
                fail("the header block does not start with NATS/1.0");
                header(block, start, end); // may still be a readable header line holding the correlation id
                return;
            }
            int i = start + VERSION.length;
            if (i < end) { // a status: NATS/1.0 503 [description]
                if (block[i] != ' ') {
                    fail("the header block's version line is malformed");
                }
                while (i < end && block[i] == ' ') {
                    i++;
                }
                int digits = 0;
                while (i < end && block[i] != ' ') {
                    if (block[i] < '0' || block[i] > '9' || ++digits > 9) {
                        fail("the header block's status code is not a number");
                        break;
                    }
                    i++;
                }
            }
            repaired.write(block, start, end - start + 2);
        }

        private void header(byte[] block, int start, int end) {
            int colon = -1;
            for (int i = start; i < end; i++) {
                if (block[i] == ':') {
                    colon = i;
                    break;
                }
            }
            if (colon < 0) {
                fail("a header line has no ':'");
                return;
            }
            if (colon == start) {
                fail("a header line has an empty name");
                return;
            }
            for (int i = start; i < colon; i++) {
                if (block[i] < 33 || block[i] > 126) {
                    fail("a header name is not printable ASCII");
                    return;
                }
            }
            String name = new String(block, start, colon - start, StandardCharsets.US_ASCII);
            String value;
            try {
                value = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(block, colon + 1, end - colon - 1)).toString().trim();
            } catch (CharacterCodingException e) {
                fail("header '" + name + "' has a value that is not UTF-8");
                return;
            }
            if (name.equals(Envelope.CORRELATION_ID) && printableAscii(value)
                    && value.length() <= MAX_CORRELATION_ID) {
                correlationId = value;
            }
            if (needsEncoding(value)) { // readable, but not as jnats wants it: an encoded word keeps it intact
                byte[] line = (name + ": " + NatsMessages.encodedWord(value) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                repaired.write(line, 0, line.length);
            } else {
                repaired.write(block, start, end - start + 2);
            }
        }

        private void fail(String why) {
            if (problem == null) {
                problem = why;
            }
        }

        private static boolean needsEncoding(String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c > 127 || c == '\r' || c == '\n') {
                    return true;
                }
            }
            return false;
        }

        private static boolean printableAscii(String value) {
            if (value.isEmpty()) {
                return false;
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 33 || c > 126) {
                    return false;
                }
            }
            return true;
        }
    }
}
