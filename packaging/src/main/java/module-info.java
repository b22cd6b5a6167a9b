/** A small service for the packaging tests; on the module path the transports come by service binding. */
module io.parley.packaging {
    requires io.parley.api;

    // the JSON codec (Jackson) reads and writes the record bodies of this package
    opens io.parley.packaging to com.fasterxml.jackson.databind;
}
