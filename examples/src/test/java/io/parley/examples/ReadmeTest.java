package io.parley.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keeps README.md honest: its quick start is QuickStart.java's, and the commands it gives exist. */
class ReadmeTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void quickStartInReadmeIsTheCompiledOne() throws IOException {
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
        int marker = readme.indexOf("<!-- quick-start -->");
        assertTrue(marker >= 0, "README.md must have a <!-- quick-start --> marker");
        assertEquals("```java", readme.get(marker + 1).strip());
        int end = marker + 2;
        while (!readme.get(end).strip().equals("```")) {
            end++;
        }
        List<String> fromReadme = stripIndent(readme.subList(marker + 2, end));

        List<String> source = Files.readAllLines(ROOT.resolve("examples/src/main/java/io/parley/examples/QuickStart.java"));
        int begin = indexOfStripped(source, "// quick-start:begin");
        int stop = indexOfStripped(source, "// quick-start:end");
        List<String> compiled = stripIndent(source.subList(begin + 1, stop));

        assertEquals(String.join("\n", compiled), String.join("\n", fromReadme),
                "README.md's quick start differs from QuickStart.java: copy the code between the markers");
    }

    @Test
    void quickStartRuns() {
        assertEquals("Hello, Ada!", QuickStart.greet());
    }

    @Test
    void readmeTestCommandIsWhatCiRuns() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        assertTrue(readme.contains("bash scripts/test.sh"), "README.md must give the test command");
        assertTrue(ci.contains("scripts/test.sh"), ".ci/run must run the README's test command");
    }

    private static int indexOfStripped(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(text)) {
                return i;
            }
        }
        throw new AssertionError("marker not found: " + text);
    }

    private static List<String> stripIndent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
    }
}
