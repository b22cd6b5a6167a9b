package io.parley.examples;

import io.parley.api.MessagingException;
import io.parley.api.RequestException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keeps README.md honest: its quick start is QuickStart.java's and runs; its commands and error table match the code. */
class ReadmeQuickStartTest {

    /** The repository root: surefire runs with the examples module as base directory. */
    private static final Path ROOT = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .toAbsolutePath().resolve("..").normalize();
    private static final String MARKER = "<!-- quick-start -->";

    @Test
    void quickStartInReadmeIsTheCompiledOne() throws IOException {
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
        int marker = indexOfStripped(readme, MARKER);
        assertEquals("```java", readme.get(marker + 1).strip(), "the line after " + MARKER + " must open a java block");
        int end = marker + 2;
        while (end < readme.size() && !readme.get(end).strip().equals("```")) {
            end++;
        }
        assertTrue(end < readme.size(), "README.md's quick start block is not closed");
        List<String> fromReadme = stripIndent(readme.subList(marker + 2, end));

        List<String> source = Files.readAllLines(
                ROOT.resolve("examples/src/main/java/io/parley/examples/QuickStart.java"));
        List<String> compiled = stripIndent(source.subList(indexOfStripped(source, "// quick-start:begin") + 1,
                indexOfStripped(source, "// quick-start:end")));

        assertTrue(!compiled.isEmpty(), "nothing between the quick-start markers of QuickStart.java");
        assertEquals(String.join("\n", compiled), String.join("\n", fromReadme),
                "README.md's quick start differs from QuickStart.java: copy the code between its markers");
    }

    @Test
    void quickStartRunsOnMemory() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        assertEquals("Hello, Ada!", printed.toString(StandardCharsets.UTF_8).strip());
    }

    @Test
    void readmeGivesTheTwoCommandsAndCiRunsTheTestOne() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertTrue(readme.contains("bash scripts/demo.sh"), "README.md must give the demo command");
        assertTrue(Files.readString(ROOT.resolve("scripts/demo.sh")).contains("-Pdemo -pl examples -am package"),
                "scripts/demo.sh must run the demo");
        assertTrue(readme.contains("bash scripts/test.sh"), "README.md must give the test command");
        assertTrue(Files.readString(ROOT.resolve(".ci/run")).contains("scripts/test.sh"),
                ".ci/run must run the README's test command");
        assertTrue(Files.readString(ROOT.resolve("examples/pom.xml")).contains("<id>demo</id>"),
                "the demo command needs the demo profile of examples/pom.xml");
    }

    @Test
    void errorTableNamesEveryExceptionAndReason() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> missing = new ArrayList<>();
        for (Class<?> type : publicApiClasses()) {
            if (MessagingException.class.isAssignableFrom(type) && type != MessagingException.class
                    && !readme.contains("`" + type.getSimpleName() + "`")) {
                missing.add(type.getSimpleName());
            }
        }
        for (RequestException.Reason reason : RequestException.Reason.values()) {
            if (!readme.contains("`" + reason.name() + "`")) {
                missing.add("reason " + reason.name());
            }
        }
        assertEquals(List.of(), missing, "README.md's error table misses these");
    }

    /** The classes of package io.parley.api, read from wherever parley-api was loaded (classes folder or jar). */
    private static List<Class<?>> publicApiClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path location = Path.of(MessagingException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String folder = "io/parley/api/";
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.list(location.resolve(folder))) {
                files.map(file -> folder + file.getFileName()).forEach(names::add);
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                jar.stream().map(entry -> entry.getName())
                        .filter(name -> name.startsWith(folder) && name.indexOf('/', folder.length()) < 0)
                        .forEach(names::add);
            }
        }
        List<Class<?>> classes = new ArrayList<>();
        for (String name : names) {
            if (name.endsWith(".class") && !name.contains("$")) {
                classes.add(Class.forName(name.substring(0, name.length() - ".class".length()).replace('/', '.')));
            }
        }
        assertTrue(classes.contains(MessagingException.class), "found no classes of io.parley.api in " + location);
        return classes;
    }

    private static int indexOfStripped(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(text)) {
                return i;
            }
        }
        throw new AssertionError("marker not found: " + text);
    }

    /** Removes the indentation common to all non-blank lines, and trailing blanks. */
    private static List<String> stripIndent(List<String> lines) {
        int indent = lines.stream().filter(line -> !line.isBlank())
                .mapToInt(line -> line.length() - line.stripLeading().length()).min().orElse(0);
        return lines.stream().map(line -> line.isBlank() ? "" : line.substring(indent).stripTrailing()).toList();
    }
}
