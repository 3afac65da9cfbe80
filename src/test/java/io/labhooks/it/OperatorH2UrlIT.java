package io.labhooks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Durability must not depend on what the operator writes in LABHOOKS_DB_URL: a box on an H2 file URL with none of
 * the default's options is SIGKILLed twice in the middle of a stream of webhooks and restarted on the same file.
 * Every webhook it answered 2xx must still be there. (Before labhooks enforced WRITE_DELAY=0 on every H2 URL, H2
 * wrote commits up to half a second late and such kills lost acknowledged webhooks.)
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OperatorH2UrlIT {

    @AfterAll
    static void cleanUp() {
        Box.killAll();
    }

    static Path home() throws IOException {
        return Files.createTempDirectory(Files.createDirectories(Box.OUTPUT.getParent().resolve("it-data")), "operator-h2-");
    }

    @Test
    void nothingAcknowledgedIsLostWhenTheBoxIsKilledOnAnH2UrlWithoutOptions() throws Exception {
        Path home = home();
        String url = "jdbc:h2:file:" + home.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE";
        List<TestWebhook> acknowledged = new ArrayList<>();
        for (int run = 1; run <= 2; run++) {
            // Nothing is normalised meanwhile (the pollers wait), so every acknowledged row is as fresh as can be.
            Box box = Box.launch("operator-h2-" + run, home, List.of("--labhooks.pipeline.poll-interval-ms=600000"),
                    Map.of("LABHOOKS_DB_URL", url), Box.freePort(), true);
            box.awaitUp(Duration.ofSeconds(120));
            acknowledged.addAll(sendUntilKilled(box, 40));
        }
        Sql sql = new Sql("jdbc:h2:file:" + home.resolve("db"), "sa", "");
        Map<String, List<Map<String, Object>>> stored = Ledger.inboundByToken(sql, acknowledged);
        List<String> lost = acknowledged.stream().filter(w -> stored.get(w.token()).isEmpty()).map(TestWebhook::toString).toList();
        System.out.println("[OperatorH2UrlIT] " + acknowledged.size() + " acknowledged over two kills, " + lost.size() + " missing");
        assertThat(acknowledged).as("webhooks acknowledged before the kills").hasSizeGreaterThanOrEqualTo(80);
        assertThat(lost).as("acknowledged webhooks missing from inbound_event after the kills").isEmpty();
        // H2 lists the database's own value first, then the URL settings it was last opened with.
        assertThat(sql.rows("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'").get(0))
                .as("the database's write delay").isEqualTo(Map.of("setting_value", "0"));
    }

    @Test
    void aUrlAskingForAWriteDelayIsRefused() throws IOException {
        Path home = home();
        Box box = Box.launch("operator-h2-write-delay", home, List.of(),
                Map.of("LABHOOKS_DB_URL", "jdbc:h2:file:" + home.resolve("db") + ";WRITE_DELAY=500"), Box.freePort(), true);
        assertThat(box.awaitExit(Duration.ofSeconds(120))).as("exit code").isNotZero();
        assertThat(box.logOfThisRun()).contains("LABHOOKS_DB_URL sets WRITE_DELAY=500")
                .contains("Remove WRITE_DELAY from LABHOOKS_DB_URL").doesNotContain("\tat ");
    }

    /** Three senders post Lola webhooks; the box is SIGKILLed right after the {@code killAt}-th 2xx. The acknowledged ones. */
    private static List<TestWebhook> sendUntilKilled(Box box, int killAt) throws InterruptedException {
        ConcurrentLinkedQueue<TestWebhook> toSend = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < killAt * 3; i++) {
            toSend.add(TestWebhook.of("lola"));
        }
        Map<TestWebhook, Boolean> answered = new ConcurrentHashMap<>();
        AtomicInteger acknowledged = new AtomicInteger();
        ExecutorService senders = Executors.newFixedThreadPool(3);
        for (int i = 0; i < 3; i++) {
            senders.submit(() -> {
                for (TestWebhook webhook; (webhook = toSend.poll()) != null; ) {
                    boolean ok = webhook.send(box.uri).acknowledged();
                    answered.put(webhook, ok);
                    if (ok && acknowledged.incrementAndGet() == killAt) {
                        box.sigkill();
                    }
                }
            });
        }
        senders.shutdown();
        assertThat(senders.awaitTermination(120, TimeUnit.SECONDS)).as("senders finished").isTrue();
        box.kill();
        assertThat(toSend).as("the kill came while webhooks were still being sent").isEmpty();
        assertThat(answered.values()).as("some webhooks were refused or unanswered after the kill").contains(false);
        return answered.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toList();
    }
}
