package io.parley.internal;

import io.parley.api.Broker;
import io.parley.api.RequestOptions;
import io.parley.api.TransportNotFoundException;
import io.parley.spi.TransportProvider;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fat jar built without merging service files keeps one META-INF/services file of many: Parley's
 * own transports are still found, by class name, and a WARN names the packaging fix.
 */
class UnregisteredTransportTest {

    private static final String SERVICES = "META-INF/services/" + TransportProvider.class.getName();

    @Test
    void anOwnTransportWithoutItsServiceRegistrationIsFoundAndTheFixIsLogged() throws Exception {
        ClassLoader lostServiceFiles = new ClassLoader(getClass().getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                return name.equals(SERVICES) ? Collections.emptyEnumeration() : super.getResources(name);
            }
        };
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        PrintStream err = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        thread.setContextClassLoader(lostServiceFiles);
        System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8)); // slf4j-simple writes there
        try (Broker broker = Broker.connect("memory://unregistered")) {
            broker.subscribe("echo", String.class, body -> body);
            assertEquals("hi", broker.rpc().request("echo", "hi", String.class,
                    RequestOptions.timeout(Duration.ofSeconds(5))).orElseThrow());
            assertEquals("memory", broker.transportName());
        } finally {
            System.setErr(err);
            thread.setContextClassLoader(before);
        }
        thread.setContextClassLoader(lostServiceFiles); // a scheme nothing handles: the error says what else is lost
        try {
            TransportNotFoundException e = assertThrows(TransportNotFoundException.class,
                    () -> Broker.connect("thirdparty://host"));
            assertTrue(e.getMessage().contains("lost service registrations")
                    && e.getMessage().contains("ServicesResourceTransformer"), e.getMessage());
        } finally {
            thread.setContextClassLoader(before);
        }
        String text = logged.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("not registered in " + SERVICES) && text.contains("ServicesResourceTransformer"),
                "the WARN names what is wrong and the fix: " + text);
    }
}
