package io.labhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Each table's writes have one owner: a reader looking for what changes a table finds one class (or one route
 * file), and a rule such as "an order's head of line is kept under its lock" is kept in one place. Read from the
 * source as text: every INSERT, UPDATE, DELETE or MERGE (in capitals, as the code writes SQL) naming a table. The stages' claims and outcomes go through
 * {@code queue/LeasedClaims}, which names no table of its own: the one work-queue serves every stage.
 */
class TableOwnersTest {

    private static final Pattern WRITE =
            Pattern.compile("(?<!FOR )\\b(?:INSERT\\s+INTO|UPDATE|DELETE\\s+FROM|MERGE\\s+INTO)\\s+([a-z_]+)\\b");

    @Test
    void everyTableIsWrittenByOneOwner() throws IOException {
        Map<String, Set<String>> writers = writers();

        assertThat(writers).containsEntry("inbound_event", Set.of("io/labhooks/store/InboundEventStore.java"))
                .containsEntry("canonical_event", Set.of("io/labhooks/normalise/CanonicalEventStore.java"))
                .containsEntry("order_state", Set.of("io/labhooks/orderstate/OrderStateProjector.java"))
                .containsEntry("delivery", Set.of("io/labhooks/delivery/DeliveryQueue.java"))
                .containsEntry("delivery_attempt", Set.of("io/labhooks/delivery/DeliveryQueue.java"))
                .containsEntry("lab_event_feed", Set.of("routes/sinks/jdbc.camel.yaml"));
        writers.forEach((table, files) -> assertThat(files).as("the files that write " + table).hasSize(1));
    }

    private static Map<String, Set<String>> writers() throws IOException {
        Map<String, Set<String>> writers = new TreeMap<>();
        Path java = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(java)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                collect(Files.readString(file), java.relativize(file).toString().replace('\\', '/'), writers);
            }
        }
        try (Stream<Path> files = Files.walk(Path.of("routes"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                collect(Files.readString(file), file.toString().replace('\\', '/'), writers);
            }
        }
        return writers;
    }

    private static void collect(String source, String file, Map<String, Set<String>> writers) {
        Matcher write = WRITE.matcher(source);
        while (write.find()) {
            writers.computeIfAbsent(write.group(1), table -> new TreeSet<>()).add(file);
        }
    }
}
