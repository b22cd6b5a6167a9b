package io.parley.fakes;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/** Claims scheme "dup", like {@link DupTwoTransportProvider}: discovery must call that ambiguous. */
public final class DupOneTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "dup-one";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("dup");
    }

    @Override
    public Transport open(TransportContext context) {
        throw new UnsupportedOperationException("the dup-one test transport never opens");
    }
}
