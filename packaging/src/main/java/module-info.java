/** A small service for the packaging tests; on the module path the transports come by service binding. */
module io.parley.packaging {
    requires io.parley.api;
}
