package io.parley.packaging;

import io.parley.transport.kafka.KafkaBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The service of this module as the package phase built it, run the ways Java services ship: fat jars
 * (maven-shade-plugin, maven-assembly-plugin), a Spring Boot executable jar, the module path, and a
 * jlink image. Each runs a request on memory:// and on the real brokers, one per transport.
 */
class PackagingIT {

    private static final Path TARGET = Path.of("target");
    private static final String JAR = "parley-packaging-tests-" + System.getProperty("project.version");
    private static final String SERVICES = "META-INF/services/io.parley.spi.TransportProvider";
    private static final List<String> TRANSPORTS = List.of("memory", "nats", "rabbit", "redis", "kafka");
    private static final String MAIN = "io.parley.packaging/io.parley.packaging.PackagingSmoke";

    private static List<String> uris;

    @BeforeAll
    static void brokers() throws Exception {
        uris = List.of("memory://packaging",
                System.getenv().getOrDefault("PARLEY_NATS_URI", "nats://127.0.0.1:4222"),
                System.getenv().getOrDefault("PARLEY_RABBIT_URI", "amqp://guest:guest@127.0.0.1:5672"),
                System.getenv().getOrDefault("PARLEY_REDIS_URI", "redis://127.0.0.1:6379"),
                KafkaBroker.sharedUri());
    }

    @Test
    void shadedFatJarWithMergedServiceFiles() throws Exception {
        Run run = javaJar("shaded");
        run.assertEveryTransportAnswered();
        assertFalse(run.output.contains("not registered"), run.output);
    }

    @Test
    void assemblyJarWithTheMetaInfServicesHandler() throws Exception {
        Run run = javaJar("jar-with-dependencies");
        run.assertEveryTransportAnswered();
        assertFalse(run.output.contains("not registered"), run.output);
    }

    @Test
    void springBootExecutableJarWithNestedJars() throws Exception {
        javaJar("boot").assertEveryTransportAnswered();
    }

    @Test
    void fatJarWhoseServiceFilesWereNotMergedStillWorksAndTheLogNamesTheFix() throws Exception {
        try (JarFile jar = new JarFile(jar("unmerged").toFile())) { // the case: one services file of five survived
            String services = new String(jar.getInputStream(jar.getEntry(SERVICES)).readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, services.lines().filter(line -> !line.isBlank() && !line.startsWith("#")).count(), services);
        }
        Run run = javaJar("unmerged");
        run.assertEveryTransportAnswered();
        for (String transport : List.of("nats", "rabbit", "redis", "kafka")) {
            assertTrue(run.output.lines().anyMatch(line -> line.contains("WARN") && line.contains("'" + transport + "'")
                    && line.contains("not registered in " + SERVICES) && line.contains("ServicesResourceTransformer")
                    && line.contains("metaInf-services")), "a WARN names the fix for " + transport + ":\n" + run.output);
        }
    }

    @Test
    void modulePathFindsTheTransportsByServiceBinding() throws Exception {
        List<String> command = new ArrayList<>(List.of(java(), "-p", TARGET.resolve("modules") + ":" + jar(null), "-m", MAIN));
        command.addAll(uris);
        run(command).assertEveryTransportAnswered();
    }

    @Test
    void jlinkImageServesMemoryAndRefusesTheBrokerTransportsWhoseClientsAreAutomaticModules() throws Exception {
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        assumeTrue(Files.isDirectory(Path.of(System.getProperty("java.home"), "jmods")),
                "this JDK has no jmods to link an image from (Debian's openjdk-17-jdk-headless has them)");
        Path named = TARGET.resolve("jlink-modules");
        Path image = TARGET.resolve("jlink-image");
        deleteTree(named);
        deleteTree(image);
        Files.createDirectories(named);
        Files.copy(jar(null), named.resolve(jar(null).getFileName()));
        try (Stream<Path> jars = Files.list(TARGET.resolve("modules"))) { // parley-api and its named dependencies
            for (Path jar : jars.filter(j -> j.getFileName().toString().matches("(parley-api|jackson-|slf4j-).*")).toList()) {
                Files.copy(jar, named.resolve(jar.getFileName()));
            }
        }
        Run linked = run(List.of(jlink.toString(), "--module-path", named.toString(), "--add-modules",
                "io.parley.packaging,org.slf4j.simple", "--strip-debug", "--no-header-files", "--no-man-pages",
                "--output", image.toString()));
        assertEquals(0, linked.exit, linked.output);
        Run memory = run(List.of(image.resolve("bin/java").toString(), "-m", MAIN, "memory://packaging", uris.get(1)));
        assertTrue(memory.output.contains("OK memory echo ping"), memory.output);
        assertTrue(memory.output.contains("FAILED nats io.parley.api.TransportNotFoundException")
                && memory.output.contains("A jlink image cannot hold Parley's broker transports"), memory.output);

        for (String transport : List.of("nats", "rabbit", "redis", "kafka")) {
            Path withTransport = TARGET.resolve("jlink-" + transport);
            deleteTree(withTransport);
            Run refused = run(List.of(jlink.toString(), "--module-path", TARGET.resolve("modules") + ":" + jar(null),
                    "--add-modules", "io.parley.transport." + transport, "--output", withTransport.toString()));
            assertTrue(refused.exit != 0 && refused.output.contains("automatic module cannot be used with jlink"),
                    "jlink refuses transport " + transport + ":\n" + refused.output);
        }
    }

    // ---------------------------------------------------------------- running

    private record Run(int exit, String output) {
        void assertEveryTransportAnswered() {
            for (String transport : TRANSPORTS) {
                assertTrue(output.contains("OK " + transport + " echo ping"), transport + " did not answer:\n" + output);
            }
            assertEquals(0, exit, output);
        }
    }

    private static Run javaJar(String classifier) throws Exception {
        List<String> command = new ArrayList<>(List.of(java(), "-jar", jar(classifier).toString()));
        command.addAll(uris);
        return run(command);
    }

    private static Run run(List<String> command) throws Exception {
        Path output = Files.createTempFile("parley-packaging-", ".log");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly().waitFor();
                return new Run(-1, "did not end within 2 minutes: " + command + "\n" + Files.readString(output));
            }
            return new Run(process.exitValue(), Files.readString(output));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static Path jar(String classifier) {
        return TARGET.resolve(JAR + (classifier == null ? "" : "-" + classifier) + ".jar");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }
}
