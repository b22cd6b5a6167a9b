package io.parley.transport.nats.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the server's protocol stream on behalf of jnats and rewrites the one thing in it that a peer
 * controls and jnats cannot survive: an {@code HMSG} header block that jnats' parser refuses (see
 * {@link HeaderBlocks}). Each {@code HMSG} control line and its header block are held back until the
 * block is complete (a read may end anywhere), checked, and passed on as they came or with a readable
 * block in place of the bad one (the control line's lengths adjusted). Everything else passes through
 * in place: the ops are CRLF-terminated lines ({@code INFO}, {@code MSG <subject> <sid> [reply] <n>},
 * {@code HMSG <subject> <sid> [reply] <header n> <total n>}, {@code PING}, {@code PONG}, {@code +OK},
 * {@code -ERR}), and message payloads are skipped by their length, never looked at. Anything that is
 * not what the server sends puts the guard out of the way for the rest of the connection: jnats then
 * fails on it as it would without the guard. One instance per socket; not thread-safe (jnats reads
 * from one thread).
 */
final class ProtocolGuard {

    private static final Logger log = LoggerFactory.getLogger(ProtocolGuard.class);

    /** Where the bytes come from: the socket. */
    @FunctionalInterface
    interface Source {
        int read(byte[] buffer, int offset, int length) throws IOException;
    }

    private enum State { OP, LINE, MSG_LINE, HMSG_LINE, HEADERS, PAYLOAD, PASS }

    /** jnats' own limit is 4096 (Options.maxControlLine); a longer line is not ours to judge. */
    private static final int MAX_LINE = 64 * 1024;

    private State state = State.OP;

    // MSG control line: the last token is the payload size
    private long size;
    private int sizeDigits;
    private boolean sizeToken;

    // HMSG: control line, then header block, held in one buffer
    private byte[] held = new byte[512];
    private int heldLength;
    private int lineLength;
    private int headerLength;
    private int payloadLength;
    private final int[] tokens = new int[14]; // start and end of each control line token (7 at most)
    private int tokenCount;

    private long remaining; // header or payload bytes still to come

    // output that did not fit in place: drained before anything else is read
    private byte[] pending = new byte[0];
    private int pendingStart;
    private int pendingEnd;

    // during scan(): the caller's buffer, the next input byte and the next output byte
    private byte[] buffer;
    private int position;
    private int written;

    /** Like {@link Source#read}: at least one byte unless the source ends, never more than {@code length}. */
    int read(Source source, byte[] destination, int offset, int length) throws IOException {
        if (length <= 0) {
            return 0;
        }
        while (true) {
            if (pendingEnd > pendingStart) {
                int n = Math.min(length, pendingEnd - pendingStart);
                System.arraycopy(pending, pendingStart, destination, offset, n);
                pendingStart += n;
                if (pendingStart == pendingEnd) {
                    pendingStart = 0;
                    pendingEnd = 0;
                }
                return n;
            }
            int n = source.read(destination, offset, length);
            if (n <= 0) {
                return n;
            }
            int out = scan(destination, offset, n);
            if (out > 0) {
                return out;
            }
            // all of it held back (part of a header block), or moved to pending: read on
        }
    }

    /** Consumes {@code buffer[offset, offset + n)}; returns how many bytes are left in place at offset. */
    private int scan(byte[] buffer, int offset, int n) {
        this.buffer = buffer;
        this.position = offset;
        this.written = offset;
        int end = offset + n;
        while (position < end) {
            switch (state) {
                case OP -> {
                    byte b = buffer[position];
                    if (b == 'H' || b == 'h') {
                        if (!plainHmsg(end)) {
                            state = State.HMSG_LINE;
                            heldLength = 0;
                        }
                    } else if (b == 'M' || b == 'm') {
                        if (wholeMsgLine(end)) {
                            continue;
                        }
                        state = State.MSG_LINE;
                        size = 0;
                        sizeDigits = 0;
                        sizeToken = false;
                    } else {
                        state = State.LINE;
                    }
                }
                case LINE -> {
                    int stop = lineEnd(end);
                    pass(stop - position);
                    if (buffer[stop - 1] == '\n') {
                        state = State.OP;
                    }
                }
                case MSG_LINE -> msgLine(end);
                case HMSG_LINE -> {
                    int stop = lineEnd(end);
                    hold(stop - position);
                    if (held[heldLength - 1] == '\n') {
                        hmsgLine();
                    } else if (heldLength > MAX_LINE) {
                        giveUp();
                    }
                }
                case HEADERS -> {
                    hold((int) Math.min(remaining, end - position));
                    if (remaining == 0) {
                        headersDone();
                    }
                }
                case PAYLOAD -> {
                    int k = (int) Math.min(remaining, end - position);
                    remaining -= k;
                    pass(k);
                    if (remaining == 0) {
                        state = State.OP;
                    }
                }
                case PASS -> pass(end - position);
            }
        }
        this.buffer = null;
        return written - offset;
    }

    /** Position just past the next LF, or {@code end}. */
    private int lineEnd(int end) {
        for (int i = position; i < end; i++) {
            if (buffer[i] == '\n') {
                return i + 1;
            }
        }
        return end;
    }

    /** A MSG control line passes as it comes; its last token, the payload size, is read on the way. */
    private void msgLine(int end) {
        int i = position;
        boolean done = false;
        while (i < end) {
            byte b = buffer[i++];
            if (b == '\n') {
                done = true;
                break;
            }
            if (b == ' ' || b == '\t') {
                size = 0;
                sizeDigits = 0;
                sizeToken = true;
            } else if (b >= '0' && b <= '9' && sizeToken && sizeDigits < 10) {
                size = size * 10 + (b - '0');
                sizeDigits++;
            } else if (b != '\r') {
                sizeToken = false;
            }
        }
        int length = i - position;
        pass(length);
        if (done) {
            if (sizeToken && sizeDigits > 0 && size <= Integer.MAX_VALUE) {
                remaining = size + 2; // the payload and its CRLF
                state = State.PAYLOAD;
            } else {
                state = State.PASS;
            }
        }
    }

    /**
     * The fast way for the usual case: a MSG control line whole in this read passes at once, its size
     * read backwards from its end. False (nothing consumed) when the line goes on in the next read.
     */
    private boolean wholeMsgLine(int end) {
        int lf = lineEnd(end) - 1;
        if (buffer[lf] != '\n') {
            return false;
        }
        int i = lf;
        if (i > position && buffer[i - 1] == '\r') {
            i--;
        }
        long value = 0;
        long scale = 1;
        int digits = 0;
        while (i > position && buffer[i - 1] >= '0' && buffer[i - 1] <= '9' && digits < 10) {
            value += (buffer[--i] - '0') * scale;
            scale *= 10;
            digits++;
        }
        boolean sized = digits > 0 && i > position && (buffer[i - 1] == ' ' || buffer[i - 1] == '\t')
                && value <= Integer.MAX_VALUE;
        pass(lf + 1 - position);
        if (sized) {
            remaining = value + 2; // the payload and its CRLF
            state = State.PAYLOAD;
        } else {
            state = State.PASS;
        }
        return true;
    }

    /**
     * The fast way for the usual case: an HMSG control line and a header block that jnats reads, both
     * whole in this read, pass in place without being held. False (nothing consumed) otherwise.
     */
    private boolean plainHmsg(int end) {
        int lf = lineEnd(end) - 1;
        if (buffer[lf] != '\n' || !parseHmsg(buffer, position, lf + 1)) {
            return false;
        }
        int block = lf + 1;
        if (block + headerLength > end || !HeaderBlocks.plain(buffer, block, headerLength)) {
            return false;
        }
        pass(block + headerLength - position);
        remaining = payloadLength + 2L;
        state = State.PAYLOAD;
        return true;
    }

    /** A complete HMSG control line is held: read its lengths, or step aside when it is not one. */
    private void hmsgLine() {
        if (!parseHmsg(held, 0, heldLength)) {
            giveUp();
            return;
        }
        lineLength = heldLength;
        remaining = headerLength;
        state = State.HEADERS;
        if (remaining == 0) {
            headersDone(); // jnats cannot read an empty block either
        }
    }

    /**
     * Reads the HMSG control line {@code line[from, to)} (ending in LF): its tokens (offsets from
     * {@code from}) and lengths. False when it is not one the server would send.
     */
    private boolean parseHmsg(byte[] line, int from, int to) {
        int lineEnd = to - 1; // the LF
        if (lineEnd > from && line[lineEnd - 1] == '\r') {
            lineEnd--;
        }
        int count = 0;
        int i = from;
        while (i < lineEnd && count < tokens.length / 2) {
            while (i < lineEnd && (line[i] == ' ' || line[i] == '\t')) {
                i++;
            }
            if (i == lineEnd) {
                break;
            }
            tokens[2 * count] = i - from;
            while (i < lineEnd && line[i] != ' ' && line[i] != '\t') {
                i++;
            }
            tokens[2 * count + 1] = i - from;
            count++;
        }
        if (count != 5 && count != 6) {
            return false;
        }
        long header = number(line, from, count - 2);
        long total = number(line, from, count - 1);
        boolean hmsg = tokens[0] == 0 && tokens[1] == 4 && (line[from + 1] == 'M' || line[from + 1] == 'm')
                && (line[from + 2] == 'S' || line[from + 2] == 's') && (line[from + 3] == 'G' || line[from + 3] == 'g');
        if (!hmsg || header < 0 || total < header) {
            return false;
        }
        tokenCount = count;
        headerLength = (int) header;
        payloadLength = (int) (total - header);
        return true;
    }

    /** The decimal value of token {@code index} of the line at {@code from}, or -1. */
    private long number(byte[] line, int from, int index) {
        int start = from + tokens[2 * index];
        int end = from + tokens[2 * index + 1];
        if (end - start > 9 || end == start) {
            return -1;
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            if (line[i] < '0' || line[i] > '9') {
                return -1;
            }
            value = value * 10 + (line[i] - '0');
        }
        return value;
    }

    private void headersDone() {
        byte[] replacement = HeaderBlocks.readable(held, lineLength, headerLength);
        if (replacement == null) {
            emit(held, 0, heldLength);
        } else {
            // an unreadable block is logged once by the core, when the message reaches a subscription
            log.debug("Replaced a header block jnats cannot read ({} bytes) on '{}'", headerLength,
                    new String(held, tokens[2], tokens[3] - tokens[2], StandardCharsets.ISO_8859_1));
            StringBuilder line = new StringBuilder(lineLength + 8);
            for (int t = 0; t < tokenCount - 2; t++) { // HMSG, subject, sid, [reply]: as they came
                line.append(new String(held, tokens[2 * t], tokens[2 * t + 1] - tokens[2 * t],
                        StandardCharsets.ISO_8859_1)).append(' ');
            }
            line.append(replacement.length).append(' ').append(replacement.length + payloadLength).append("\r\n");
            byte[] bytes = line.toString().getBytes(StandardCharsets.ISO_8859_1);
            emit(bytes, 0, bytes.length);
            emit(replacement, 0, replacement.length);
        }
        heldLength = 0;
        if (held.length > 64 * 1024) {
            held = new byte[512]; // do not keep a large block's buffer for the connection's life
        }
        remaining = payloadLength + 2L;
        state = State.PAYLOAD;
    }

    /** Not the protocol we know: hand on what is held and pass everything through from now on. */
    private void giveUp() {
        emit(held, 0, heldLength);
        heldLength = 0;
        state = State.PASS;
    }

    /** The next {@code n} input bytes go on unchanged. */
    private void pass(int n) {
        position += n;
        emit(buffer, position - n, n);
    }

    /** The next {@code n} input bytes are held back. */
    private void hold(int n) {
        if (heldLength + n > held.length) {
            held = Arrays.copyOf(held, Math.max(heldLength + n, held.length * 2));
        }
        System.arraycopy(buffer, position, held, heldLength, n);
        heldLength += n;
        position += n;
        if (state == State.HEADERS) {
            remaining -= n;
        }
    }

    /** Output, in order: in place while it fits before the unread input and nothing is pending, else pending. */
    private void emit(byte[] source, int from, int n) {
        if (n == 0) {
            return;
        }
        if (pendingEnd == pendingStart && written + n <= position) {
            if (source != buffer || from != written) {
                System.arraycopy(source, from, buffer, written, n);
            }
            written += n;
            return;
        }
        if (pendingEnd + n > pending.length) {
            int live = pendingEnd - pendingStart;
            byte[] grown = live + n > pending.length ? new byte[Math.max(live + n, pending.length * 2)] : pending;
            System.arraycopy(pending, pendingStart, grown, 0, live);
            pending = grown;
            pendingStart = 0;
            pendingEnd = live;
        }
        System.arraycopy(source, from, pending, pendingEnd, n);
        pendingEnd += n;
    }
}
