/** Parley: messaging and request/reply over message brokers. */
module io.parley.api {
    requires transitive com.fasterxml.jackson.databind;
    requires org.slf4j;

    exports io.parley.api;
    exports io.parley.api.codec;
    exports io.parley.spi;

    uses io.parley.spi.TransportProvider;
    provides io.parley.spi.TransportProvider with io.parley.internal.memory.MemoryTransportProvider;
}
