package io.parley.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RpcDemoTest {

    @Test
    void everyStepGetsWhatItExpectsOnMemory() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int status = RpcDemo.run("memory://demo-test", new PrintStream(printed, true, StandardCharsets.UTF_8));
        String output = printed.toString(StandardCharsets.UTF_8);

        assertEquals(0, status, output);
        assertFalse(output.contains("FAIL"), output);
        assertEquals(7, output.lines().filter(line -> line.endsWith("[ok]")).count(), output);
        assertTrue(output.contains("All 7 demo steps got what they expected."), output);
        assertTrue(output.contains("reply: tick 3") && !output.contains("reply: tick 4"), output);
        assertTrue(output.contains("-> IllegalArgumentException: unknown order A-17"), output);
    }

    @Test
    void theBannerNeverShowsTheCredentialsOfTheUri() {
        assertEquals("amqp://***@127.0.0.1:5672/vhost", RpcDemo.withoutCredentials("amqp://guest:s3cret@127.0.0.1:5672/vhost"));
        assertEquals("redis://***@host:6379/0", RpcDemo.withoutCredentials("redis://:s3cret@host:6379/0"));
        assertEquals("nats://127.0.0.1:4222", RpcDemo.withoutCredentials("nats://127.0.0.1:4222"));
        assertEquals("memory://demo", RpcDemo.withoutCredentials("memory://demo"));
    }

    @Test
    void failsWhenTheTransportDoesNotWork() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int status = RpcDemo.run("deaf://", new PrintStream(printed, true, StandardCharsets.UTF_8));
        String output = printed.toString(StandardCharsets.UTF_8);

        assertEquals(1, status, output);
        assertEquals(7, output.lines().filter(line -> line.contains("[FAIL: expected ")).count(), output);
        assertTrue(output.contains("7 of 7 demo steps did NOT get what they expected."), output);
    }
}
