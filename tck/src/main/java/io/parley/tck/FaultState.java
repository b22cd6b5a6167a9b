package io.parley.tck;

/**
 * What the fault rules did to the controlled broker, so that whatever happens in a test (a failed
 * assertion included) the broker is thawed or restarted before the next test and before the test's
 * brokers are closed.
 */
final class FaultState {

    private BrokerControl frozen;
    private BrokerControl down;

    void freeze(BrokerControl control) throws Exception {
        frozen = control;
        control.freeze();
    }

    void thaw(BrokerControl control) throws Exception {
        control.thaw();
        frozen = null;
    }

    void kill(BrokerControl control) throws Exception {
        down = control;
        control.kill();
    }

    void restart(BrokerControl control) throws Exception {
        control.restart();
        down = null;
    }

    /** Undoes what is still in effect. */
    void repair() throws Exception {
        if (frozen != null) {
            thaw(frozen);
        }
        if (down != null) {
            restart(down);
        }
    }
}
