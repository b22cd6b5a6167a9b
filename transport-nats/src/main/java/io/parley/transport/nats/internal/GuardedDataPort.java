package io.parley.transport.nats.internal;

import io.nats.client.impl.SocketDataPortWithWriteTimeout;

import java.io.IOException;

/**
 * jnats' default socket (with its write timeout, TLS upgrade included) whose incoming bytes pass
 * through a {@link ProtocolGuard}, so that a header block jnats cannot parse reaches it in a form it
 * can, instead of ending its reader thread. jnats creates it by reflection
 * ({@code Options.Builder.dataPortType}), one per socket: hence public, with a public no-argument
 * constructor, in a package that module-info exports to jnats. Not an API.
 */
public final class GuardedDataPort extends SocketDataPortWithWriteTimeout {

    private final ProtocolGuard guard = new ProtocolGuard();
    // reads the current stream: upgradeToSecure() replaces it with the TLS one
    private final ProtocolGuard.Source socket = (buffer, offset, length) -> in.read(buffer, offset, length);

    public GuardedDataPort() {
        super();
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        return guard.read(socket, dst, off, len);
    }
}
