package com.example.transport;

import io.parley.spi.BrokerAddress;
import io.parley.spi.TransportSettings;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** How a transport reads its URI with the SPI's helpers: every problem at once, no credentials shown. */
public final class ExampleAddress {

    private ExampleAddress() {
    }

    /** The servers of {@code example://host:7000,host2}, or a ConfigurationException listing what is wrong. */
    public static List<BrokerAddress.Server> servers(URI uri, String redactedUri) {
        List<String> problems = new ArrayList<>();
        BrokerAddress address = BrokerAddress.read(uri, 7000, "example://host:7000", problems);
        address.noPath("example", problems);
        address.noQuery("use example.* properties", problems);
        TransportSettings.throwIfAny("example", redactedUri, problems);
        return address.servers();
    }
}
