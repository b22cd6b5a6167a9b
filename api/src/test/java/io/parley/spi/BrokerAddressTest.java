package io.parley.spi;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BrokerAddressTest {

    private final List<String> problems = new ArrayList<>();

    private BrokerAddress read(String uri) {
        return BrokerAddress.read(URI.create(uri), 4222, "x://host:4222", problems);
    }

    @Test
    void oneServerWithDefaultPort() {
        BrokerAddress address = read("nats://broker.example");
        assertEquals(List.of(new BrokerAddress.Server("broker.example", 4222)), address.servers());
        assertEquals("nats", address.scheme());
        assertTrue(address.user().isEmpty());
        assertEquals("", address.path());
        assertNull(address.rawQuery());
        assertEquals(List.of(), problems);
    }

    @Test
    void serverListWithPortsAndIpv6() {
        BrokerAddress address = read("nats://a:1,%5B::1%5D:2,b,%5Bfe80::1%5D");
        assertEquals(List.of(new BrokerAddress.Server("a", 1), new BrokerAddress.Server("::1", 2),
                new BrokerAddress.Server("b", 4222), new BrokerAddress.Server("fe80::1", 4222)), address.servers());
        assertEquals("[::1]:2", address.servers().get(1).toString());
        assertEquals("nats://a:1,[::1]:2,b:4222,[fe80::1]:4222", address.toString());
        assertEquals(List.of(), problems);
    }

    @Test
    void oneIpv6Host() {
        assertEquals(new BrokerAddress.Server("::1", 4222), read("nats://[::1]").server());
        assertEquals(new BrokerAddress.Server("::1", 7), read("nats://[::1]:7").server());
        assertEquals(List.of(), problems);
    }

    @Test
    void userInfoIsDecodedAndSplitAtTheFirstColon() {
        BrokerAddress address = read("amqp://us%40er:p%3Ass:w@host:5672/my%2Fvhost?x=1");
        assertEquals("us@er", address.user().orElseThrow());
        assertEquals("p:ss:w", address.password().orElseThrow());
        assertEquals("my/vhost", address.path());
        assertEquals("x=1", address.rawQuery());
        assertEquals("amqp://host:5672", address.toString(), "toString never shows the user info");
    }

    @Test
    void aTokenHasNoPassword() {
        BrokerAddress address = read("nats://s3cr3t@host");
        assertEquals("s3cr3t", address.user().orElseThrow());
        assertFalse(address.password().isPresent());
        assertEquals("", read("redis://:pw@host").user().orElseThrow());
    }

    @Test
    void everyProblemIsReportedWithoutTheUserInfo() {
        read("nats://user:hunter2@a:0,b:x,,c:70000,::1,%5B::2");
        assertEquals(List.of(
                "the port of server 1 must be between 1 and 65535, not 0",
                "the port of server 2 is not a number: 'x'",
                "an empty entry in the server list (server 3)",
                "the port of server 4 must be between 1 and 65535, not 70000",
                "server 5 looks like an IPv6 address: put it in brackets, e.g. [::1]:4222",
                "server 6 opens an IPv6 address with '[' but never closes it"), problems);
        assertTrue(problems.stream().noneMatch(p -> p.contains("hunter2")));
    }

    @Test
    void noHostNamesTheExpectedForm() {
        BrokerAddress address = BrokerAddress.read(URI.create("nats:///"), 4222, "nats://host:4222", problems);
        assertNull(address.server());
        assertEquals(List.of("no host: write nats://host:4222"), problems);
    }

    @Test
    void pathQueryAndServerCountChecks() {
        BrokerAddress address = read("kafka://a,b/topic?acks=all");
        address.noPath("Kafka", problems);
        address.noQuery("use kafka.* properties", problems);
        address.oneServer("Redis", problems);
        assertEquals(List.of("a Kafka URI has no path; remove '/topic'",
                "query parameters are not read; use kafka.* properties",
                "a Redis URI names one server, not 2"), problems);
        problems.clear();
        BrokerAddress plain = read("kafka://a/");
        plain.noPath("Kafka", problems);
        plain.noQuery("-", problems);
        plain.oneServer("Redis", problems);
        assertEquals(List.of(), problems);
    }
}
