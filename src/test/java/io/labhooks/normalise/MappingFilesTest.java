package io.labhooks.normalise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Mapping files edited while the box runs, on a clock the test moves: a changed file is taken once the look
 * interval has passed, a broken version is refused (logged once, counted) while the previous one stays, and a
 * mapping with no good version fails its events with the reason.
 */
class MappingFilesTest {

    private static final byte[] INPUT = "{\"kind\":\"invoice\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    private final MovableClock clock = new MovableClock();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private MappingFiles mappings;
    private Path file;

    @BeforeEach
    void setUp() {
        mappings = new MappingFiles(camel, dir, frame -> { }, metrics, clock);
        file = dir.resolve("acme.jsonata");
        log.start();
        logger().addAppender(log);
    }

    @AfterEach
    void tearDown() throws Exception {
        logger().detachAppender(log);
        camel.close();
    }

    private static Logger logger() {
        return (Logger) LoggerFactory.getLogger(MappingFile.class);
    }

    @Test
    void anEditIsTakenAtTheNextEventOnceASecondHasPassedSinceTheLastLook() throws Exception {
        write("{\"version\": 1, \"kind\": kind}");
        assertThat(map()).isEqualTo("{\"version\":1,\"kind\":\"invoice\"}");

        write("{\"version\": 2, \"kind\": $uppercase(kind)}");
        clock.move(Duration.ofMillis(999));
        assertThat(map()).as("looked at a moment ago").isEqualTo("{\"version\":1,\"kind\":\"invoice\"}");
        clock.move(Duration.ofMillis(1));
        assertThat(map()).isEqualTo("{\"version\":2,\"kind\":\"INVOICE\"}");

        assertThat(messages(Level.INFO)).containsExactly("Mapping file acme.jsonata loaded",
                "Mapping file acme.jsonata changed: the new version is in use");
        assertThat(refused()).isZero();
    }

    @Test
    void fetchedResourcesAreSeenByTheirOwnEventOnly() throws Exception {
        write("{\"kind\": kind, \"status\": $fetched.order.status, \"seen\": $exists($fetched)}");
        byte[] input = "{\"kind\":\"invoice\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(mappings.apply(file, input, "{\"order\":{\"status\":\"shipped\"}}"))
                .isEqualTo("{\"kind\":\"invoice\",\"status\":\"shipped\",\"seen\":true}");
        // one parsed expression serves every event: the next event must not see the previous one's
        assertThat(mappings.apply(file, input, null)).isEqualTo("{\"kind\":\"invoice\",\"seen\":false}");
        assertThat(mappings.apply(file, input)).isEqualTo("{\"kind\":\"invoice\",\"seen\":false}");
    }

    @Test
    void aBrokenEmptyOrMissingVersionIsRefusedOnceAndThePreviousOneStaysUntilAGoodEdit() throws Exception {
        write("{\"version\": 1}");
        map();
        String secret = "\"a-literal-of-the-broken-version\"";
        write("{\"version\": 2, \"kind\": " + secret + ", \"broken\": (");
        for (int i = 0; i < 3; i++) {
            clock.move(Duration.ofSeconds(1));
            assertThat(map()).isEqualTo("{\"version\":1}");
        }
        assertThat(refused()).as("one refusal per refused version").isEqualTo(1);
        assertThat(messages(Level.ERROR)).singleElement().asString()
                .startsWith("Mapping file acme.jsonata does not parse (JSONata error S0")
                .contains("refused, the version taken at " + Instant.EPOCH + " stays in use")
                .doesNotContain("a-literal-of-the-broken-version");

        write("");
        clock.move(Duration.ofSeconds(1));
        assertThat(map()).isEqualTo("{\"version\":1}");
        Files.delete(file);
        clock.move(Duration.ofSeconds(1));
        assertThat(map()).isEqualTo("{\"version\":1}");
        assertThat(refused()).isEqualTo(3);
        assertThat(messages(Level.ERROR)).hasSize(3).element(1).asString().startsWith("Mapping file acme.jsonata is empty: refused");
        assertThat(messages(Level.ERROR).get(2)).startsWith("Mapping file acme.jsonata cannot be read (NoSuchFileException): refused");

        write("{\"version\": 3}");
        clock.move(Duration.ofSeconds(1));
        assertThat(map()).isEqualTo("{\"version\":3}");
    }

    @Test
    void aMappingBrokenOrMissingFromTheStartFailsItsEventsWithTheReasonUntilFixed() throws Exception {
        write("{\"version\": ");
        assertThatThrownBy(this::map).isInstanceOf(IOException.class)
                .hasMessageStartingWith("mapping file acme.jsonata does not parse (JSONata error S0");
        assertThatThrownBy(this::map).as("the same version, not refused again").isInstanceOf(IOException.class);
        assertThat(refused()).isEqualTo(1);
        assertThat(messages(Level.ERROR)).singleElement().asString()
                .endsWith("refused, and with no earlier version its events fail until it is fixed");

        write("{\"version\": 1}");
        clock.move(Duration.ofSeconds(1));
        assertThat(map()).isEqualTo("{\"version\":1}");

        assertThatThrownBy(() -> mappings.apply(dir.resolve("absent.jsonata"), INPUT))
                .hasMessage("mapping file absent.jsonata cannot be read (NoSuchFileException)");
    }

    @Test
    void reloadLooksAtEveryFileAtOnceAndStillRefusesABrokenOne() throws Exception {
        write("{\"version\": 1}");
        map();
        write("{\"version\": 2}");
        mappings.reload();
        assertThat(map()).as("no second to wait").isEqualTo("{\"version\":2}");

        write("{\"version\": 3,");
        mappings.reload();
        assertThat(map()).isEqualTo("{\"version\":2}");
        assertThat(refused()).isEqualTo(1);
    }

    /** An editor caught half way through saving: every shipped mapping cut short at any line is refused. */
    @Test
    void aShippedMappingCutShortAnywhereDoesNotParse() throws Exception {
        write("{\"version\": 1}");
        map();
        int cuts = 0;
        try (Stream<Path> shipped = Files.list(Path.of("mappings"))) {
            for (Path mapping : shipped.filter(p -> p.toString().endsWith(".jsonata")).sorted().toList()) {
                String text = Files.readString(mapping);
                List<Integer> ends = new ArrayList<>();
                for (int i = text.indexOf('\n'); i >= 0 && i < text.stripTrailing().length(); i = text.indexOf('\n', i + 1)) {
                    ends.add(i);
                }
                for (int end : ends) {
                    write(text.substring(0, end));
                    clock.move(Duration.ofSeconds(1));
                    assertThat(map()).as(mapping + " cut after character " + end).isEqualTo("{\"version\":1}");
                    cuts++;
                }
            }
        }
        assertThat(refused()).isEqualTo(cuts).isGreaterThan(500);
    }

    private String map() throws IOException {
        return mappings.apply(file, INPUT);
    }

    private void write(String text) throws IOException {
        Files.writeString(file, text);
    }

    private double refused() {
        return metrics.get("labhooks.mappings.refused").tag("mapping", "acme.jsonata").counter().count();
    }

    private List<String> messages(Level level) {
        return log.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** A clock that only moves when told to. */
    private static final class MovableClock extends Clock {
        private Instant now = Instant.EPOCH;

        void move(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
