package io.labhooks.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import io.labhooks.delivery.DeliveryQueue;
import io.labhooks.fetch.FetchQueue;
import io.labhooks.normalise.InboundEventQueue;
import io.labhooks.poll.PollWatches;
import io.labhooks.support.TestPostgres;

/**
 * Every claim is served by an index that also gives the claim's order, so claiming costs the same whether ten or a
 * hundred thousand rows wait (no range over the backlog, no sort of it). Read from the database's own plans, on H2
 * and on PostgreSQL, over a schema made by the shipped migrations and holding a backlog: thousands of deliveries
 * waiting behind their orders' heads, thousands of stored webhooks already normalised beside the few still waiting
 * to be normalised or fetched, and thousands of poll watches not yet due.
 */
class ClaimPlansTest {

    static final int BACKLOG = 3_000;
    static final TestPostgres POSTGRES = new TestPostgres();
    static JdbcTemplate h2;
    static JdbcTemplate postgres;

    @BeforeAll
    static void databases() {
        SingleConnectionDataSource memory = new SingleConnectionDataSource(
                "jdbc:h2:mem:plans-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", true);
        h2 = backlog(memory, null);
        // one connection, so the planner settings below hold for every statement of the test
        SingleConnectionDataSource pg = new SingleConnectionDataSource(
                POSTGRES.url(), TestPostgres.USER, "", true);
        postgres = backlog(pg, POSTGRES.schema());
        postgres.execute("ANALYZE");
        // the tables are small for PostgreSQL's cost model, which would read them whole: ask which index it would use
        postgres.execute("SET enable_seqscan = off");
        postgres.execute("SET enable_bitmapscan = off");
    }

    @AfterAll
    static void dropSchema() throws Exception {
        POSTGRES.drop();
    }

    private static JdbcTemplate backlog(DataSource dataSource, String schema) {
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration")
                .schemas(schema == null ? new String[0] : new String[] {schema}).createSchemas(true).load().migrate();
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        Timestamp now = Timestamp.from(Instant.now());
        List<Object[]> inbound = new ArrayList<>();
        for (int i = 1; i <= BACKLOG; i++) {
            inbound.add(new Object[] {i, "k" + i, UUID.randomUUID().toString(), new byte[] {'{', '}'}, now,
                    i <= BACKLOG - 10 ? "NORMALISED" : "RECEIVED"});
        }
        for (int i = BACKLOG + 1; i <= BACKLOG + 10; i++) {
            inbound.add(new Object[] {i, "k" + i, UUID.randomUUID().toString(), new byte[] {'{', '}'}, now, "FETCHING"});
        }
        jdbc.batchUpdate("""
                INSERT INTO inbound_event (id, provider, dedupe_key, event_id, mapping, body, body_sha256, received_at, status)
                VALUES (?, 'lml', ?, ?, 'lml.jsonata', ?, 'x', ?, ?)""", inbound);
        List<Object[]> canonical = new ArrayList<>();
        List<Object[]> deliveries = new ArrayList<>();
        for (int i = 1; i <= BACKLOG; i++) {
            canonical.add(new Object[] {i, UUID.randomUUID().toString(), i, "order-" + (i % 100), now, now});
            // 100 orders, each with its earliest delivery as head of line and the rest waiting behind it
            deliveries.add(new Object[] {i, "order-" + (i % 100), now, i <= 100});
        }
        jdbc.batchUpdate("""
                INSERT INTO canonical_event (seq, event_id, inbound_event_id, provider, type, provider_event_type, order_key,
                                             out_of_order, occurred_at, received_at, payload)
                VALUES (?, ?, ?, 'lola', 'ORDER_CREATED', 'order.created', ?, FALSE, ?, ?, '{}')""", canonical);
        jdbc.batchUpdate("""
                INSERT INTO delivery (canonical_event_seq, sink, order_key, status, next_attempt_at, head_of_line)
                VALUES (?, 'http', ?, 'PENDING', ?, ?)""", deliveries);
        List<Object[]> watches = new ArrayList<>();
        Timestamp later = Timestamp.from(Instant.now().plusSeconds(3600));
        for (int i = 1; i <= BACKLOG; i++) {
            watches.add(new Object[] {"ref-" + i, "order-" + i, i > BACKLOG - 10 ? now : later});
        }
        jdbc.batchUpdate("""
                INSERT INTO poll_watch (provider, resource, ref_value, order_key, status, next_poll_at)
                VALUES ('junction', 'order', ?, ?, 'WATCHING', ?)""", watches);
        return jdbc;
    }

    /** One stage's claim: its table, what it may claim, in which order, and the index that must serve it. */
    record Queue(String table, String claimable, String order, Map<String, Object> parameters, String index) {
        String query(JdbcTemplate on) {
            return LeasedClaims.claimQuery(table, claimable, order, on == h2);
        }
    }

    static Stream<Queue> queues() {
        return Stream.of(
                new Queue("inbound_event", InboundEventQueue.CLAIMABLE, InboundEventQueue.CLAIM_ORDER, Map.of(),
                        "ix_inbound_event_status"),
                new Queue("inbound_event", FetchQueue.CLAIMABLE, FetchQueue.CLAIM_ORDER, Map.of("provider", "lml"),
                        "ix_inbound_event_status"),
                new Queue("delivery", DeliveryQueue.CLAIMABLE, DeliveryQueue.CLAIM_ORDER, Map.of("sink", "http"),
                        "ix_delivery_head"),
                new Queue("poll_watch", PollWatches.CLAIMABLE, PollWatches.CLAIM_ORDER, Map.of("provider", "junction"),
                        "ix_poll_watch_due"));
    }

    @ParameterizedTest
    @MethodSource("queues")
    void onH2EachClaimReadsItsIndexInTheClaimsOrder(Queue queue) {
        String plan = plan(h2, queue);
        assertThat(plan).as(plan).contains("PUBLIC." + queue.index().toUpperCase(Locale.ROOT) + ":").contains("index sorted");
    }

    /** H2 then locks the picked rows by their primary key, checking each again: no second read of the index's range. */
    @ParameterizedTest
    @MethodSource("queues")
    void onH2EachClaimLocksWhatItPickedByPrimaryKey(Queue queue) {
        Map<String, Object> parameters = parameters(queue);
        parameters.put("picked", List.of(1L, 2L, 3L));
        String plan = String.join("\n", new NamedParameterJdbcTemplate(h2).queryForList(
                "EXPLAIN " + LeasedClaims.lockQuery(queue.table(), queue.claimable()), parameters, String.class));
        assertThat(plan).as(plan).containsPattern("PUBLIC\\.PRIMARY_KEY_[0-9A-F]+: ID IN\\(").doesNotContain("SELECT\n        ID");
    }

    @ParameterizedTest
    @MethodSource("queues")
    void onPostgresEachClaimReadsItsIndexInTheClaimsOrderWithoutASort(Queue queue) {
        String plan = plan(postgres, queue);
        assertThat(plan).as(plan).contains("Index Scan using " + queue.index()).doesNotContain("Sort");
    }

    @Test
    void theClaimsFindWhatWaitsInTheirOrder() {
        // the plans above are of queries that do their job: the heads, live and in event order; the waiting webhooks
        for (JdbcTemplate jdbc : List.of(h2, postgres)) {
            List<Queue> queues = queues().toList();
            assertThat(claimable(jdbc, queues.get(0))).containsExactlyElementsOf(LongStream.rangeClosed(BACKLOG - 9, BACKLOG).boxed().toList());
            assertThat(claimable(jdbc, queues.get(1))).containsExactlyElementsOf(LongStream.rangeClosed(BACKLOG + 1, BACKLOG + 10).boxed().toList());
            assertThat(claimable(jdbc, queues.get(2))).hasSize(100).isSorted().allMatch(id -> id <= 100);
            assertThat(claimable(jdbc, queues.get(3))).hasSize(10).isSorted().allMatch(id -> id > BACKLOG - 10);
        }
    }

    private static List<Long> claimable(JdbcTemplate jdbc, Queue queue) {
        return new NamedParameterJdbcTemplate(jdbc).queryForList(queue.query(jdbc),
                parameters(queue), Long.class);
    }

    private static String plan(JdbcTemplate jdbc, Queue queue) {
        return String.join("\n", new NamedParameterJdbcTemplate(jdbc).queryForList("EXPLAIN " + queue.query(jdbc),
                parameters(queue), String.class));
    }

    private static Map<String, Object> parameters(Queue queue) {
        Map<String, Object> all = new HashMap<>(queue.parameters());
        all.put("now", OffsetDateTime.now().plusSeconds(1));
        all.put("batch", 100);
        return all;
    }
}
