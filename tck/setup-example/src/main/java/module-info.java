/** A third party's transport module: it needs Parley's API and SPI only (the kit is a test dependency). */
module com.example.transport {
    requires io.parley.api;

    exports com.example.transport;
    // a real transport also says: provides io.parley.spi.TransportProvider with com.example.transport.ExampleProvider;
}
