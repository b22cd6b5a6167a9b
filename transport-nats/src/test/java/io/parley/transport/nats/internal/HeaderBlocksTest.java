package io.parley.transport.nats.internal;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What jnats cannot read, and what it gets instead. */
class HeaderBlocksTest {

    @Test
    void blocksJnatsReadsPassUnchanged() {
        for (String block : new String[] {
                "NATS/1.0\r\n\r\n",
                "NATS/1.0\r\ncontent-type: application/json\r\ncorrelation_id: abc\r\n\r\n",
                "NATS/1.0\r\nx:\r\n\r\n",
                "NATS/1.0\r\nx:v\r\ny:  spaced \t\r\n\r\n",
                "NATS/1.0 503\r\n\r\n",
                "NATS/1.0 503 No Responders\r\n\r\n",
                "NATS/1.0\r\nx: =?UTF-8?B?Y2Fmw6k=?=\r\n\r\n",
        }) {
            byte[] bytes = ascii(block);
            assertNull(HeaderBlocks.jnatsRefusal(bytes), block);
            assertNull(HeaderBlocks.readable(bytes, 0, bytes.length), block);
        }
    }

    @Test
    void plainFormIsOnlyWhatJnatsReads() {
        assertTrue(HeaderBlocks.plain(ascii("NATS/1.0\r\na: b\r\n\r\n"), 0, 18));
        assertFalse(HeaderBlocks.plain(ascii("NATS/1.0 503\r\n\r\n"), 0, 16), "a status goes the slow way");
        assertFalse(HeaderBlocks.plain(bytes("NATS/1.0\r\na: caf\u00e9\r\n\r\n"), 0, 22));
        assertFalse(HeaderBlocks.plain(ascii("NATS/1.0\r\na: b\r\n"), 0, 16));
        assertFalse(HeaderBlocks.plain(ascii("NATS/1.0\r\n: b\r\n\r\n"), 0, 17));
        assertFalse(HeaderBlocks.plain(ascii("NATS/1.0\r\na b: c\r\n\r\n"), 0, 20));
        assertFalse(HeaderBlocks.plain(ascii("NATS/1.0\r\na: b\rc\r\n\r\n"), 0, 20));
        byte[] offset = ascii("xxNATS/1.0\r\na: b\r\n\r\nyy");
        assertTrue(HeaderBlocks.plain(offset, 2, 18), "reads the range given");
    }

    @Test
    void validUtf8ValuesBecomeEncodedWords() {
        byte[] block = bytes("NATS/1.0\r\ncorrelation_id: c1\r\nname: caf\u00e9 \u00fcber\r\n\r\n");
        assertNotNull(HeaderBlocks.jnatsRefusal(block), "jnats refuses any byte over 127");

        byte[] readable = HeaderBlocks.readable(block, 0, block.length);

        assertEquals("NATS/1.0\r\ncorrelation_id: c1\r\nname: " + NatsMessages.encodedWord("caf\u00e9 \u00fcber")
                + "\r\n\r\n", ascii(readable));
        assertEquals("caf\u00e9 \u00fcber", NatsMessages.decode(NatsMessages.encodedWord("caf\u00e9 \u00fcber")));
    }

    @Test
    void crOrLfInsideAValueIsEncodedToo() {
        byte[] block = ascii("NATS/1.0\r\nx: a\rb\r\ny: c\nd\r\n\r\n");
        assertEquals("NATS/1.0\r\nx: " + NatsMessages.encodedWord("a\rb") + "\r\ny: " + NatsMessages.encodedWord("c\nd")
                + "\r\n\r\n", ascii(HeaderBlocks.readable(block, 0, block.length)));
    }

    @Test
    void statusLinesAreKeptWhenTheHeadersAreRepaired() {
        byte[] block = bytes("NATS/1.0 503\r\nx: \u00e9\r\n\r\n");
        assertEquals("NATS/1.0 503\r\nx: " + NatsMessages.encodedWord("\u00e9") + "\r\n\r\n",
                ascii(HeaderBlocks.readable(block, 0, block.length)));
    }

    @Test
    void unreadableBlocksBecomeAMarkerWithTheCorrelationId() {
        assertMarker(concat(ascii("NATS/1.0\r\ncorrelation_id: c1\r\nx-poison: "), new byte[] {(byte) 0xC3, 0x28,
                (byte) 0xFF, (byte) 0xFE}, ascii("\r\n\r\n")), "header 'x-poison' has a value that is not UTF-8", "c1");
        assertMarker(ascii("HTTP/1.1\r\ncorrelation_id: c2\r\n\r\n"), "the header block does not start with NATS/1.0", "c2");
        assertMarker(ascii("correlation_id: c3\r\nx: y\r\n\r\n"), "the header block does not start with NATS/1.0", "c3");
        assertMarker(ascii("NATS/1.0\r\nno colon here\r\ncorrelation_id: c4\r\n\r\n"), "a header line has no ':'", "c4");
        assertMarker(ascii("NATS/1.0 abc Bad\r\ncorrelation_id: c5\r\n\r\n"), "the header block's status code is not a number", "c5");
        assertMarker(ascii("NATS/1.0\r\ncorrelation_id: c6\r\n"), "the header block is truncated (no empty line at its end)", "c6");
        assertMarker(bytes("NATS/1.0\r\nk\u00e9y: v\r\ncorrelation_id: c7\r\n\r\n"), "a header name is not printable ASCII", "c7");
        assertMarker(ascii("NATS/1.0\r\n: v\r\ncorrelation_id: c8\r\n\r\n"), "a header line has an empty name", "c8");
        assertMarker(ascii("NATS/1.01\r\ncorrelation_id: c9\r\n\r\n"), "the header block's version line is malformed", "c9");
        assertMarker(ascii("garbage"), "the header block has no line end (not a NATS header block)", null);
        assertMarker(new byte[0], "the header block has no line end (not a NATS header block)", null);
    }

    @Test
    void correlationIdsThatCouldNotTravelAreDropped() {
        assertMarker(bytes("NATS/1.0\r\nx\r\ncorrelation_id: caf\u00e9\r\n\r\n"), "a header line has no ':'", null);
        assertMarker(ascii("NATS/1.0\r\nx\r\ncorrelation_id: a b\r\n\r\n"), "a header line has no ':'", null);
    }

    @Test
    void markersAreReadByJnats() {
        byte[] marker = HeaderBlocks.marker("odd \u00e9 text\r\n", "id-1");
        assertNull(HeaderBlocks.jnatsRefusal(marker));
        assertEquals("NATS/1.0\r\nParley-Unreadable: odd ? text??\r\ncorrelation_id: id-1\r\n\r\n", ascii(marker));
    }

    private static void assertMarker(byte[] block, String problem, String correlationId) {
        assertNotNull(HeaderBlocks.jnatsRefusal(block), "jnats would end its reader on " + ascii(block));
        byte[] readable = HeaderBlocks.readable(block, 0, block.length);
        assertArrayEquals(HeaderBlocks.marker(problem, correlationId), readable, ascii(readable));
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
