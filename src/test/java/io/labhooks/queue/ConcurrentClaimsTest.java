package io.labhooks.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.delivery.DeliveryQueue;
import io.labhooks.support.ProviderSigner;

/**
 * Workers claiming one queue at the same moment never get the same row: each of 600 waiting deliveries is claimed
 * once, its attempt started once, however the four workers' claims interleave. On H2 a claim picks its rows
 * before it locks them, so another worker may claim a row in between; the claim's update must then leave it.
 * Runs on H2 and on PostgreSQL (subclasses). The deliveries are to a sink no poller of the box claims for.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
abstract class ConcurrentClaimsTest {

    static final int WAITING = 600;
    static final String SINK = "claims-test";

    @DynamicPropertySource
    static void secrets(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
    }

    @Autowired
    LeasedClaims claims;
    @Autowired
    JdbcTemplate jdbc;

    @Test
    void fourWorkersClaimingAtOnceClaimEachRowOnce() throws Exception {
        Timestamp now = Timestamp.from(Instant.now().minusSeconds(1));
        long inbound = jdbc.queryForObject("SELECT COALESCE(MAX(id), 0) + 1 FROM inbound_event", Long.class);
        jdbc.update("""
                INSERT INTO inbound_event (id, provider, dedupe_key, event_id, mapping, body, body_sha256, received_at, status)
                VALUES (?, 'lola', ?, ?, 'lola.jsonata', ?, 'x', ?, 'NORMALISED')""", inbound, "claims-" + inbound,
                UUID.randomUUID().toString(), new byte[] {'{', '}'}, now);
        long firstSeq = jdbc.queryForObject("SELECT COALESCE(MAX(seq), 0) + 1 FROM canonical_event", Long.class);
        List<Object[]> events = new ArrayList<>();
        List<Object[]> deliveries = new ArrayList<>();
        for (long seq = firstSeq; seq < firstSeq + WAITING; seq++) {
            events.add(new Object[] {seq, UUID.randomUUID().toString(), inbound, "order-" + UUID.randomUUID(), now, now});
            deliveries.add(new Object[] {seq, events.get(events.size() - 1)[3], now});
        }
        jdbc.batchUpdate("""
                INSERT INTO canonical_event (seq, event_id, inbound_event_id, provider, type, provider_event_type, order_key,
                                             out_of_order, occurred_at, received_at, payload)
                VALUES (?, ?, ?, 'lola', 'ORDER_CREATED', 'order.created', ?, FALSE, ?, ?, '{}')""", events);
        jdbc.batchUpdate("""
                INSERT INTO delivery (canonical_event_seq, sink, order_key, status, next_attempt_at, head_of_line)
                VALUES (?, '%s', ?, 'PENDING', ?, TRUE)""".formatted(SINK), deliveries);

        ConcurrentLinkedQueue<Long> claimed = new ConcurrentLinkedQueue<>();
        CyclicBarrier together = new CyclicBarrier(4);
        ExecutorService workers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int worker = 0; worker < 4; worker++) {
                running.add(workers.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    for (int empty = 0; empty < 3; ) {
                        List<LeasedClaims.Started> batch = claims.claimStarted("delivery", DeliveryQueue.CLAIMABLE,
                                Map.of("sink", SINK), DeliveryQueue.CLAIM_ORDER, 20);
                        batch.forEach(started -> claimed.add(started.claim().id()));
                        empty = batch.isEmpty() ? empty + 1 : 0;
                    }
                    return null;
                }));
            }
            for (Future<?> worker : running) {
                worker.get(60, TimeUnit.SECONDS);
            }
        } finally {
            workers.shutdownNow();
        }

        assertThat(claimed).as("every waiting delivery claimed").hasSize(WAITING).doesNotHaveDuplicates();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM delivery WHERE sink = ? AND attempts = 1 AND claimed_by IS NOT NULL",
                Integer.class, SINK)).as("each attempt started once").isEqualTo(WAITING);
    }
}
