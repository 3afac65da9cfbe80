package io.labhooks.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The benchmark in miniature (the full one is bench/run, outside the test suite): a few seconds of the benchmark's
 * own load generator, all five providers mixed with 10% resent duplicates, against the real endpoint. Asserts only
 * that nothing acknowledged is lost: every acknowledged webhook is one row in lab_event_feed and one signed
 * delivery at the HTTP sink. No speed is asserted; speed belongs to bench/run on a quiet machine.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100"})
@DirtiesContext
class BenchmarkSmokeTest {

    static final Webhooks WEBHOOKS = new Webhooks(Path.of("mappings"), "5e0c");
    static SinkReceiver receiver;

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) throws Exception {
        receiver = new SinkReceiver(WEBHOOKS);
        for (String[] pair : Webhooks.environment()) {
            registry.add(pair[0], () -> pair[1]);
        }
        registry.add("labhooks.sinks.http.url", receiver::url);
        registry.add("labhooks.sinks.http.secret", () -> Webhooks.SINK_SECRET);
        registry.add("spring.datasource.url",
                () -> "jdbc:h2:mem:labhooks-smoke-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    @Test
    void everyAcknowledgedWebhookReachesTheFeedAndTheHttpSink() throws Exception {
        LoadGenerator.Traffic traffic = new LoadGenerator.Traffic(WEBHOOKS, Webhooks.PROVIDERS, 0.10);
        LoadGenerator load = new LoadGenerator("127.0.0.1", port);

        LoadGenerator.Result result = load.closedLoop("smoke", traffic, 8, 3, 3000);

        assertThat(result.errors()).as("webhooks not acknowledged with 2xx").isZero();
        BitSet acknowledged = traffic.acknowledged();
        assertThat(acknowledged.cardinality()).isGreaterThan(20);
        assertThat(traffic.resends()).as("duplicates among the requests").isPositive();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(missing(acknowledged, feedTokens())).as("acknowledged but not in lab_event_feed").isZero();
            assertThat(missing(acknowledged, receiver.tokens())).as("acknowledged but not at the HTTP sink").isZero();
        });
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM lab_event_feed", Long.class))
                .as("one row per event, duplicates included only once").isEqualTo(acknowledged.cardinality());
        assertThat(receiver.badSignatures()).isZero();
        assertThat(receiver.distinctEvents()).isEqualTo(acknowledged.cardinality());
    }

    private BitSet feedTokens() {
        BitSet found = new BitSet();
        jdbc.query("SELECT event_json FROM lab_event_feed",
                (java.sql.ResultSet rs) -> WEBHOOKS.tokensIn(rs.getString(1), token -> found.set((int) token)));
        return found;
    }

    private static long missing(BitSet expected, BitSet found) {
        BitSet lost = (BitSet) expected.clone();
        lost.andNot(found);
        return lost.cardinality();
    }
}
