package io.labhooks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/** What the tests sent and what the database made of it. */
final class Ledger {

    private Ledger() {
    }

    /** Sends each webhook once to {@code box}, {@code threads} at a time, and returns every answer. */
    static Map<TestWebhook, TestWebhook.Answer> sendAll(Collection<TestWebhook> webhooks, URI box, int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<TestWebhook.Answer>> calls = new ArrayList<>();
            for (TestWebhook webhook : webhooks) {
                calls.add(() -> webhook.send(box));
            }
            List<Future<TestWebhook.Answer>> answers = pool.invokeAll(calls);
            Map<TestWebhook, TestWebhook.Answer> result = new LinkedHashMap<>();
            int i = 0;
            for (TestWebhook webhook : webhooks) {
                result.put(webhook, answers.get(i++).get());
            }
            return result;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every inbound_event row, by the token of the webhook whose body it holds (rows holding no token: key null). */
    static Map<String, List<Map<String, Object>>> inboundByToken(Sql sql, Collection<TestWebhook> webhooks) {
        Map<String, List<Map<String, Object>>> byToken = new LinkedHashMap<>();
        for (TestWebhook webhook : webhooks) {
            byToken.put(webhook.token(), new ArrayList<>());
        }
        for (Map<String, Object> row : sql.rows("SELECT id, provider, event_id, provider_event_id, status, attempts, last_error, body FROM inbound_event")) {
            String body = new String((byte[]) row.remove("body"), StandardCharsets.UTF_8);
            String owner = null;
            for (TestWebhook webhook : webhooks) {
                if (body.contains(webhook.token())) {
                    owner = webhook.token();
                    break;
                }
            }
            byToken.computeIfAbsent(owner, k -> new ArrayList<>()).add(row);
        }
        return byToken;
    }

    /** Waits until {@code done} holds, polling; fails with {@code state}'s description if it does not in time. */
    static void await(String what, Duration timeout, Supplier<Boolean> done, Supplier<Object> state) {
        if (!within(timeout, done)) {
            assertThat(false).as("timed out after " + timeout + " waiting for " + what + "; state: " + state.get()).isTrue();
        }
    }

    /** Whether {@code done} comes to hold within {@code timeout}, polling. */
    static boolean within(Duration timeout, Supplier<Boolean> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (done.get()) {
                    return true;
                }
            } catch (RuntimeException e) {
                // the database may be briefly unreachable (a box starting or dying); try again
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Box.sleep(200);
        }
    }

    /**
     * No work left: no inbound event still RECEIVED and no delivery PENDING (what ended FAILED or DEAD, or never
     * got stored, is left for the checks to name). Deliveries are queued in the transaction that normalises.
     */
    static boolean quiet(Sql sql) {
        Map<String, Long> in = sql.statuses("inbound_event");
        Map<String, Long> out = sql.statuses("delivery");
        return !in.isEmpty() && !in.containsKey("RECEIVED") && !out.isEmpty() && !out.containsKey("PENDING");
    }
}
