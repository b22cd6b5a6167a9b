/** Parley over NATS (core NATS request/reply, queue groups), with jnats. */
module io.parley.transport.nats {
    requires io.parley.api;
    requires io.nats.jnats;
    requires org.slf4j;

    exports io.parley.transport.nats;
    // jnats creates the transport's GuardedDataPort by reflection (Options.Builder.dataPortType)
    exports io.parley.transport.nats.internal to io.nats.jnats;

    provides io.parley.spi.TransportProvider with io.parley.transport.nats.internal.NatsTransportProvider;
}
