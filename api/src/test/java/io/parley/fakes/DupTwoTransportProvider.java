package io.parley.fakes;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/** Claims scheme "dup", like {@link DupOneTransportProvider}: discovery must call that ambiguous. */
public final class DupTwoTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "dup-two";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("dup");
    }

    @Override
    public Transport open(TransportContext context) {
        throw new UnsupportedOperationException("the dup-two test transport never opens");
    }
}
