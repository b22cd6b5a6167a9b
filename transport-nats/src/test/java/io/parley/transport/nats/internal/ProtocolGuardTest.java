package io.parley.transport.nats.internal;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.parley.transport.nats.internal.HeaderBlocksTest.ascii;
import static io.parley.transport.nats.internal.HeaderBlocksTest.bytes;
import static io.parley.transport.nats.internal.HeaderBlocksTest.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guard's output for every way the socket can split the stream, and for every size of jnats' read
 * buffer: the stream unchanged when jnats can read it, else with each bad header block replaced.
 */
class ProtocolGuardTest {

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE};

    /** What the server sends, including payloads that look like protocol (they must be skipped by length). */
    private static final byte[] CLEAN = concat(
            ascii("INFO {\"server_id\":\"x\",\"headers\":true,\"max_payload\":1048576}\r\n"),
            ascii("+OK\r\nPING\r\nPONG\r\n"),
            ascii("MSG orders.new 1 5\r\nHMSG \r\n"),
            ascii("MSG orders.new 1 _INBOX.abc.def 12\r\nHMSG a 1 2 3\r\n\r\n"),
            hmsg("orders.new 7 _INBOX.x.y", "NATS/1.0\r\ncontent-type: application/json\r\ncorrelation_id: c-1\r\n\r\n",
                    "{\"id\":\"HMSG x 1 2 3\\r\\n\"}"),
            hmsg("_INBOX.x.y 2", "NATS/1.0 503\r\n\r\n", ""),
            ascii("msg lower.case 3 0\r\n\r\n"),
            hmsg("with.tab\t4\t_INBOX.a", "NATS/1.0\r\nx: y\r\n\r\n", "tabbed"),
            ascii("-ERR 'Permissions Violation for Subscription to \"x\"'\r\n"),
            ascii("MSG empty 1 0\r\n\r\n"));

    private static final byte[] POISONED = concat(
            ascii("INFO {}\r\nPING\r\n"),
            hmsg("svc 1 answers", concat(ascii("NATS/1.0\r\ncorrelation_id: p1\r\nx-poison: "), NOT_UTF8,
                    ascii("\r\n\r\n")), "{\"id\":\"1\"}"),
            ascii("MSG svc 1 answers 2\r\nok\r\n"),
            hmsg("svc 1 answers", bytes("NATS/1.0\r\ncorrelation_id: p2\r\nname: caf\u00e9\r\n\r\n"), "{\"id\":\"2\"}"),
            hmsg("svc 1", ascii("garbage"), "body"),
            hmsg("svc 1 answers", ascii("NATS/1.0 abc Bad\r\ncorrelation_id: p4\r\n\r\n"), ""),
            hmsg("svc 1 answers", new byte[0], "no headers at all"),
            hmsg("svc 1 answers", ascii("NATS/1.0\r\ncorrelation_id: p6\r\n\r\n"), "fine"),
            ascii("PING\r\n"));

    @Test
    void cleanStreamPassesUnchangedWhateverTheSplits() throws IOException {
        assertArrayEquals(CLEAN, guard(CLEAN, List.of(CLEAN.length), 65536));
        assertEverySplitGives(CLEAN, CLEAN);
    }

    @Test
    void poisonedStreamIsRewrittenTheSameWhateverTheSplits() throws IOException {
        byte[] once = guard(POISONED, List.of(POISONED.length), 65536);
        assertEverySplitGives(POISONED, once);

        List<Parsed> messages = parse(once);
        assertEquals(7, messages.size());
        for (Parsed message : messages) {
            if (message.headers != null) {
                assertNull(HeaderBlocks.jnatsRefusal(message.headers), "jnats reads " + ascii(message.headers));
            }
        }
        assertEquals("NATS/1.0\r\nParley-Unreadable: header 'x-poison' has a value that is not UTF-8\r\n"
                + "correlation_id: p1\r\n\r\n", ascii(messages.get(0).headers));
        assertEquals("svc 1 answers", messages.get(0).arguments);
        assertEquals("{\"id\":\"1\"}", ascii(messages.get(0).payload));
        assertEquals("ok", ascii(messages.get(1).payload));
        assertEquals("NATS/1.0\r\ncorrelation_id: p2\r\nname: " + NatsMessages.encodedWord("caf\u00e9") + "\r\n\r\n",
                ascii(messages.get(2).headers));
        assertEquals("NATS/1.0\r\nParley-Unreadable: the header block has no line end (not a NATS header block)\r\n\r\n",
                ascii(messages.get(3).headers));
        assertEquals("svc 1", messages.get(3).arguments);
        assertEquals("body", ascii(messages.get(3).payload));
        assertTrue(ascii(messages.get(4).headers).contains("status code is not a number"));
        assertEquals("no headers at all", ascii(messages.get(5).payload));
        assertEquals("NATS/1.0\r\ncorrelation_id: p6\r\n\r\n", ascii(messages.get(6).headers));
        assertTrue(ascii(once).endsWith("fine\r\nPING\r\n"));
    }

    @Test
    void largePayloadsAndHeaderBlocksCrossManyReads() throws IOException {
        byte[] payload = new byte[300_000];
        new Random(7).nextBytes(payload);
        StringBuilder headers = new StringBuilder("NATS/1.0\r\n");
        for (int i = 0; i < 2_000; i++) {
            headers.append("h").append(i).append(": value ").append(i).append("\r\n");
        }
        byte[] stream = concat(hmsg("big 1", ascii(headers + "\r\n"), payload), ascii("MSG big 1 3\r\nend\r\n"),
                hmsg("big 1", bytes(headers + "u: \u00fc\r\n\r\n"), payload), ascii("PING\r\n"));
        byte[] once = guard(stream, List.of(stream.length), 65536);
        List<Parsed> messages = parse(once);
        assertEquals(3, messages.size());
        assertArrayEquals(payload, messages.get(0).payload);
        assertArrayEquals(payload, messages.get(2).payload);
        assertTrue(ascii(messages.get(2).headers).endsWith("u: " + NatsMessages.encodedWord("\u00fc") + "\r\n\r\n"));
        Random random = new Random(11);
        for (int run = 0; run < 200; run++) {
            assertArrayEquals(once, guard(stream, randomSplits(stream.length, random, 4096), 1 + random.nextInt(70_000)));
        }
    }

    @Test
    void whatIsNotTheProtocolPassesUntouched() throws IOException {
        for (byte[] odd : new byte[][] {
                ascii("HELLO there\r\nHMSG a 1 3 2\r\nxyz\r\n"), // unknown op, then an HMSG whose lengths are inverted
                ascii("HMSG a 1 x 5\r\nNATS/1.0\r\n\r\n"),
                ascii("MSG a 1 notanumber\r\nNATS/1.0\r\n"),
                concat(ascii("HMSG "), "x".repeat(70_000).getBytes(), ascii("\r\n")),
        }) {
            assertArrayEquals(odd, guard(odd, List.of(odd.length), 65536), ascii(odd).substring(0, 20));
            if (odd.length < 1_000) {
                assertEverySplitGives(odd, odd);
            } else {
                Random random = new Random(3);
                for (int run = 0; run < 50; run++) {
                    assertArrayEquals(odd, guard(odd, randomSplits(odd.length, random, 5_000), 1 + random.nextInt(70_000)));
                }
            }
        }
    }

    @Test
    void theSourceEndingIsPassedOn() throws IOException {
        ProtocolGuard guard = new ProtocolGuard();
        byte[] into = new byte[10];
        assertEquals(-1, guard.read((b, o, l) -> -1, into, 0, 10));
        assertEquals(0, guard.read((b, o, l) -> 5, into, 0, 0));
    }

    /** Every single split point with several read sizes, byte by byte, and random chunkings. */
    private static void assertEverySplitGives(byte[] input, byte[] expected) throws IOException {
        for (int split = 1; split < input.length; split++) {
            for (int readSize : new int[] {1, 3, 64, 65536}) {
                byte[] out = guard(input, List.of(split, input.length - split), readSize);
                assertArrayEquals(expected, out, "split at " + split + ", reads of " + readSize);
            }
        }
        List<Integer> ones = new ArrayList<>();
        for (int i = 0; i < input.length; i++) {
            ones.add(1);
        }
        assertArrayEquals(expected, guard(input, ones, 65536), "one byte per socket read");
        Random random = new Random(42);
        for (int run = 0; run < 500; run++) {
            assertArrayEquals(expected, guard(input, randomSplits(input.length, random, 40), 1 + random.nextInt(100)),
                    "random chunking " + run);
        }
    }

    private static List<Integer> randomSplits(int length, Random random, int max) {
        List<Integer> chunks = new ArrayList<>();
        for (int left = length; left > 0; ) {
            int chunk = Math.min(left, 1 + random.nextInt(max));
            chunks.add(chunk);
            left -= chunk;
        }
        return chunks;
    }

    /** Runs {@code input} through a guard, the socket giving {@code chunks} and jnats reading {@code readSize}. */
    static byte[] guard(byte[] input, List<Integer> chunks, int readSize) throws IOException {
        ProtocolGuard guard = new ProtocolGuard();
        int[] at = {0};
        int[] chunk = {0};
        int[] leftInChunk = {chunks.isEmpty() ? 0 : chunks.get(0)};
        ProtocolGuard.Source socket = (buffer, offset, length) -> {
            while (leftInChunk[0] == 0) {
                if (++chunk[0] >= chunks.size()) {
                    return -1;
                }
                leftInChunk[0] = chunks.get(chunk[0]);
            }
            int n = Math.min(length, leftInChunk[0]);
            System.arraycopy(input, at[0], buffer, offset, n);
            at[0] += n;
            leftInChunk[0] -= n;
            return n;
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[readSize + 3];
        while (true) {
            int n = guard.read(socket, buffer, 3, readSize); // an offset, as a caller may use one
            if (n < 0) {
                return out.toByteArray();
            }
            assertTrue(n > 0 && n <= readSize, "read returned " + n);
            out.write(buffer, 3, n);
        }
    }

    static byte[] hmsg(String arguments, String headers, String payload) {
        return hmsg(arguments, ascii(headers), ascii(payload));
    }

    static byte[] hmsg(String arguments, byte[] headers, String payload) {
        return hmsg(arguments, headers, ascii(payload));
    }

    static byte[] hmsg(String arguments, byte[] headers, byte[] payload) {
        return concat(ascii("HMSG " + arguments + " " + headers.length + " " + (headers.length + payload.length) + "\r\n"),
                headers, payload, ascii("\r\n"));
    }

    /** A message as jnats would read it from the guard's output. */
    private record Parsed(String arguments, byte[] headers, byte[] payload) {
    }

    private static List<Parsed> parse(byte[] stream) {
        List<Parsed> messages = new ArrayList<>();
        int i = 0;
        while (i < stream.length) {
            int lf = i;
            while (stream[lf] != '\n') {
                lf++;
            }
            String line = ascii(java.util.Arrays.copyOfRange(stream, i, lf - 1));
            i = lf + 1;
            String[] parts = line.split("[ \t]+");
            if (parts[0].equalsIgnoreCase("MSG") || parts[0].equalsIgnoreCase("HMSG")) {
                boolean h = parts[0].equalsIgnoreCase("HMSG");
                int total = Integer.parseInt(parts[parts.length - 1]);
                int header = h ? Integer.parseInt(parts[parts.length - 2]) : 0;
                String arguments = String.join(" ", java.util.Arrays.copyOfRange(parts, 1, parts.length - (h ? 2 : 1)));
                messages.add(new Parsed(arguments, h ? java.util.Arrays.copyOfRange(stream, i, i + header) : null,
                        java.util.Arrays.copyOfRange(stream, i + header, i + total)));
                assertEquals("\r\n", ascii(java.util.Arrays.copyOfRange(stream, i + total, i + total + 2)));
                i += total + 2;
            }
        }
        return messages;
    }
}
