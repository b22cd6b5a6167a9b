package io.parley.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RpcDemoTest {

    @Test
    void demoGetsEveryReplyOnMemory() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int status = RpcDemo.run("memory://demo-test", new PrintStream(printed, true, StandardCharsets.UTF_8));
        String output = printed.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, output);
        assertTrue(output.contains("All demo steps got their replies."), output);
        assertTrue(output.contains("IllegalArgumentException: unknown order A-17"), output);
    }
}
