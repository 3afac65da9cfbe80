package io.labhooks.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.labhooks.LabhooksApplication;
import io.labhooks.retention.RawPayloadRetention;
import io.labhooks.support.ProviderSigner;

/**
 * Raw payloads at rest, through real boxes on one database restarted with different LABHOOKS_PAYLOAD_KEYS: plain
 * JSON with no key, then key A, then "B,A", then B alone. What is stored is read straight from the table and
 * decrypted here with an implementation of the documented envelope written apart from the production one. Runs
 * on H2 and on PostgreSQL (subclasses).
 */
@ExtendWith(OutputCaptureExtension.class)
abstract class PayloadEncryptionTest {

    static final String TOKEN = "payload-test-admin-token";
    static final String KEY_A = PayloadKeysTest.newKey();
    static final String KEY_B = PayloadKeysTest.newKey();
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpClient http = HttpClient.newHttpClient();

    /** Arguments that point a box at this test's database (the same one for every box of the test). */
    abstract List<String> database();

    /** What a provider's API answered for a webhook, as the fetch stage stores it (name -> resource). */
    static final String FETCHED = "{\"order\":{\"id\":\"o-1\",\"first_name\":\"Alice\",\"shipping_status\":\"shipped\"}}";

    @Test
    void payloadsAreEncryptedUnderTheNewestKeyStayReadableThroughARotationAndAreReEncryptedUnderIt(CapturedOutput output)
            throws Exception {
        Webhook plain;
        try (Box box = start("")) {
            assertThat(output).contains("WARN", "Raw payloads are stored unencrypted: set LABHOOKS_PAYLOAD_KEYS to encrypt them at rest");
            assertThat(box.encryptionHealth()).isEqualTo(JSON.readTree("{\"enabled\":false}"));
            plain = box.sendAndAwaitDelivery("Peter Plaintext");
            assertThat(box.storedBody(plain)).as("no key: stored as before, plain JSON").isEqualTo(plain.body());
            assertThat(box.storedKeyId(plain)).isNull();
            assertThat(box.post("/admin/payload-keys/re-encrypt").statusCode()).isEqualTo(409);
        }

        Webhook underA;
        Webhook purged;
        byte[] underAsEnvelope;
        try (Box box = start("A:" + KEY_A)) {
            assertThat(output).contains("Raw payloads are encrypted at rest (AES-256-GCM) under key 'A'; keys that decrypt: [A]");
            underA = box.sendAndAwaitDelivery("Alice Encrypted");
            underAsEnvelope = box.storedBody(underA);
            assertEncrypted(underAsEnvelope, underA);
            assertThat(box.storedKeyId(underA)).isEqualTo("A");
            assertThat(Envelope.open(underAsEnvelope, KEY_A, box.dedupeKey(underA))).as("the exact bytes received")
                    .isEqualTo(underA.body());
            assertThat(box.rawPayload(underA)).isEqualTo(JSON.readTree(underA.body()));
            assertThat(box.redactedPayload(underA).toString()).doesNotContain(underA.patientName());
            // resources fetched for it from a provider's API are sealed the same way, bound to the row apart from the body
            PayloadCipher.Stored fetched = box.context.getBean(PayloadCipher.class)
                    .seal(FETCHED.getBytes(StandardCharsets.UTF_8), PayloadCipher.fetchedBinding(box.dedupeKey(underA)));
            box.jdbc().update("UPDATE inbound_event SET fetched = ?, fetched_key_id = ? WHERE id = ?", fetched.body(),
                    fetched.keyId(), underA.id());

            // Stored as plain JSON before there was a key: still shown, and mapped again when remapped.
            assertThat(box.rawPayload(plain)).isEqualTo(JSON.readTree(plain.body()));
            box.remap(plain);
            await().atMost(Duration.ofSeconds(20)).until(() -> box.canonicalEvents(plain), n -> n == 2);
            assertThat(box.status(plain)).isEqualTo("NORMALISED");

            JsonNode health = box.encryptionHealth();
            assertThat(health.path("enabled").asBoolean()).isTrue();
            assertThat(health.path("keyId").asText()).isEqualTo("A");
            assertThat(health.path("notUnderNewestKey").asLong()).isEqualTo(1);

            // Retention still purges an encrypted payload: emptied, under no key, and no longer counted.
            purged = box.sendAndAwaitDelivery("Paula Purged");
            box.jdbc().update("UPDATE inbound_event SET received_at = ? WHERE id = ?", OffsetDateTime.now().minusDays(31), purged.id());
            assertThat(box.context.getBean(RawPayloadRetention.class).purge()).isEqualTo(1);
            assertThat(box.storedBody(purged)).isEmpty();
            assertThat(box.storedKeyId(purged)).isNull();
        }

        Webhook underB;
        try (Box box = start("B:" + KEY_B + ",A:" + KEY_A)) {
            assertThat(box.rawPayload(underA)).isEqualTo(JSON.readTree(underA.body()));
            assertThat(box.rawPayload(plain)).isEqualTo(JSON.readTree(plain.body()));
            underB = box.sendAndAwaitDelivery("Bob Rotated");
            assertEncrypted(box.storedBody(underB), underB);
            assertThat(box.storedKeyId(underB)).isEqualTo("B");
            await().atMost(Duration.ofSeconds(10)).until(() -> box.encryptionHealth().path("notUnderNewestKey").asLong(), n -> n == 2);
            assertThat(box.encryptionHealth().path("keyId").asText()).isEqualTo("B");
            assertThat(box.encryptionHealth().path("decryptKeyIds").toString()).isEqualTo("[\"B\",\"A\"]");

            HttpResponse<String> reEncrypted = box.post("/admin/payload-keys/re-encrypt");
            assertThat(reEncrypted.statusCode()).as(reEncrypted.body()).isEqualTo(200);
            assertThat(JSON.readTree(reEncrypted.body())).isEqualTo(JSON.readTree(
                    "{\"keyId\":\"B\",\"reEncrypted\":2,\"remaining\":0,\"unreadable\":0,\"unreadableInboundEventIds\":[]}"));
            assertThat(box.jdbc().queryForList("SELECT DISTINCT payload_key_id FROM inbound_event WHERE body_purged_at IS NULL",
                    String.class)).containsExactly("B");
            Map<String, Object> fetched = box.jdbc().queryForMap("SELECT fetched, fetched_key_id FROM inbound_event WHERE id = ?", underA.id());
            assertThat(fetched.get("fetched_key_id")).as("what was fetched is re-encrypted too").isEqualTo("B");
            assertThat(new String(Envelope.open((byte[]) fetched.get("fetched"), KEY_B, PayloadCipher.fetchedBinding(box.dedupeKey(underA))),
                    StandardCharsets.UTF_8)).isEqualTo(FETCHED);
            assertThat(box.storedBody(purged)).isEmpty();
            assertThat(box.storedKeyId(purged)).isNull();
            assertThat(box.jdbc().queryForList("SELECT actor FROM admin_audit WHERE action = 're-encrypt-payloads'", String.class))
                    .singleElement().satisfies(actor -> assertThat(actor).startsWith("alice (token "));
            await().atMost(Duration.ofSeconds(10)).until(() -> box.encryptionHealth().path("notUnderNewestKey").asLong(), n -> n == 0);
        }

        try (Box box = start("B:" + KEY_B)) {
            for (Webhook webhook : List.of(plain, underA, underB)) {
                byte[] stored = box.storedBody(webhook);
                assertEncrypted(stored, webhook);
                assertThat(Envelope.open(stored, KEY_B, box.dedupeKey(webhook))).isEqualTo(webhook.body());
                assertThat(box.rawPayload(webhook)).isEqualTo(JSON.readTree(webhook.body()));
            }

            // A payload still under a key that is gone (as a re-encryption that never reached it would leave it):
            // that one event fails with a reason naming the key; the box carries on.
            box.jdbc().update("UPDATE inbound_event SET body = ?, payload_key_id = 'A' WHERE id = ?", underAsEnvelope, underA.id());
            box.remap(underA);
            await().atMost(Duration.ofSeconds(20)).until(() -> box.status(underA), "FAILED"::equals);
            assertThat(box.lastError(underA)).isEqualTo("PayloadUnreadableException: the raw payload is encrypted under key 'A',"
                    + " which is not in LABHOOKS_PAYLOAD_KEYS");
            JsonNode shown = box.get("/admin/inbound-events/" + underA.id() + "?raw=true");
            assertThat(shown.path("payload").isNull()).isTrue();
            assertThat(shown.path("payloadError").asText()).contains("key 'A'");

            // A ciphertext copied onto another row does not decrypt there.
            box.jdbc().update("UPDATE inbound_event SET body = ? WHERE id = ?", box.storedBody(underB), plain.id());
            box.remap(plain);
            await().atMost(Duration.ofSeconds(20)).until(() -> box.status(plain), "FAILED"::equals);
            assertThat(box.lastError(plain)).isEqualTo("PayloadUnreadableException: the raw payload could not be decrypted with"
                    + " key 'B': that id holds another key, or the stored payload was altered or copied from another row");

            Webhook after = box.sendAndAwaitDelivery("Carol Carrieson");
            assertEncrypted(box.storedBody(after), after);
            assertThat(box.get("/actuator/health").path("status").asText()).isEqualTo("UP");
        }

        assertNoKeyMaterial(output.getAll(), KEY_A, KEY_B);
    }

    static void assertEncrypted(byte[] stored, Webhook webhook) {
        assertThat(Arrays.copyOf(stored, 5)).as("the envelope's magic and version").containsExactly(0x00, 'L', 'H', 'E', 1);
        String text = new String(stored, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain(webhook.patientName(), "1980-02-03", "Harley Street", "job.confirmed", "\"type\"");
    }

    static void assertNoKeyMaterial(String log, String... keys) {
        for (String key : keys) {
            byte[] raw = Base64.getDecoder().decode(key);
            assertThat(log).doesNotContain(key, key.substring(0, 12), Base64.getUrlEncoder().encodeToString(raw),
                    HexFormat.of().formatHex(raw).substring(0, 16), new String(raw, StandardCharsets.ISO_8859_1));
        }
    }

    /** One signed Lola webhook carrying patient values, and the inbound event it was stored as. */
    record Webhook(byte[] body, String patientName, long id) {
    }

    Box start(String keys) {
        List<String> arguments = new ArrayList<>(List.of(
                "--server.port=0",
                "--labhooks.pipeline.poll-interval-ms=100",
                "--labhooks.admin.token=" + TOKEN,
                "--labhooks.payload.keys=" + keys));
        arguments.addAll(database());
        for (String secret : ProviderSigner.secretProperties()) {
            arguments.add("--" + secret);
        }
        return new Box(new SpringApplicationBuilder(LabhooksApplication.class).run(arguments.toArray(String[]::new)));
    }

    /** A running box and what a test asks of it over HTTP and in its database. */
    final class Box implements AutoCloseable {

        final ConfigurableApplicationContext context;
        final URI base;

        Box(ConfigurableApplicationContext context) {
            this.context = context;
            this.base = URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
        }

        JdbcTemplate jdbc() {
            return context.getBean(JdbcTemplate.class);
        }

        /** Sends a signed job.confirmed and waits until the JDBC sink has its canonical event. */
        Webhook sendAndAwaitDelivery(String patientName) throws Exception {
            String job = "job-" + UUID.randomUUID();
            byte[] body = ("{\"type\":\"job.confirmed\",\"timestamp\":\"2026-06-01T08:14:02.123Z\",\"data\":{\"id\":\"evt_"
                    + UUID.randomUUID() + "\",\"jobId\":\"" + job + "\",\"externalOrderId\":\"order-" + job + "\","
                    + "\"fulfillmentChannel\":\"MOBILE\",\"status\":\"CONFIRMED\",\"patient\":{\"name\":\"" + patientName
                    + "\",\"dateOfBirth\":\"1980-02-03\",\"address\":\"12 Harley Street, London W1G 9PF\"}}}")
                    .getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> ack = http.send(new ProviderSigner(base).lola(body).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ack.statusCode()).as(ack.body()).isEqualTo(202);
            String eventId = await().atMost(Duration.ofSeconds(20)).until(() -> jdbc().queryForList(
                    "SELECT event_id FROM lab_event_feed WHERE external_order_id = ?", String.class, "order-" + job), l -> l.size() == 1).get(0);
            long id = jdbc().queryForObject("SELECT inbound_event_id FROM canonical_event WHERE event_id = ?", Long.class, eventId);
            assertThat(jdbc().queryForObject("SELECT event_json FROM lab_event_feed WHERE event_id = ?", String.class, eventId))
                    .contains("\"type\":\"ORDER_CONFIRMED\"").doesNotContain(patientName);
            return new Webhook(body, patientName, id);
        }

        byte[] storedBody(Webhook webhook) {
            return jdbc().queryForObject("SELECT body FROM inbound_event WHERE id = ?", byte[].class, webhook.id());
        }

        String storedKeyId(Webhook webhook) {
            return jdbc().queryForObject("SELECT payload_key_id FROM inbound_event WHERE id = ?", String.class, webhook.id());
        }

        String dedupeKey(Webhook webhook) {
            return jdbc().queryForObject("SELECT dedupe_key FROM inbound_event WHERE id = ?", String.class, webhook.id());
        }

        String status(Webhook webhook) {
            return jdbc().queryForObject("SELECT status FROM inbound_event WHERE id = ?", String.class, webhook.id());
        }

        String lastError(Webhook webhook) {
            return jdbc().queryForObject("SELECT last_error FROM inbound_event WHERE id = ?", String.class, webhook.id());
        }

        int canonicalEvents(Webhook webhook) {
            return jdbc().queryForObject("SELECT COUNT(*) FROM canonical_event WHERE inbound_event_id = ?", Integer.class, webhook.id());
        }

        JsonNode rawPayload(Webhook webhook) throws Exception {
            return get("/admin/inbound-events/" + webhook.id() + "?raw=true").path("payload");
        }

        JsonNode redactedPayload(Webhook webhook) throws Exception {
            return get("/admin/inbound-events/" + webhook.id()).path("payload");
        }

        JsonNode encryptionHealth() throws Exception {
            return get("/actuator/health").path("components").path("pipeline").path("details").path("payloadEncryption");
        }

        /** Maps the webhook again from its stored payload (the operator API's remap, by the order it belongs to). */
        void remap(Webhook webhook) throws Exception {
            String order = jdbc().queryForObject("SELECT order_key FROM canonical_event WHERE inbound_event_id = ? ORDER BY seq"
                    + " FETCH FIRST 1 ROWS ONLY", String.class, webhook.id());
            HttpResponse<String> remapped = http.send(admin("/admin/replays").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"remap\",\"order\":" + JSON.writeValueAsString(order)
                            + ",\"dryRun\":false}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(remapped.statusCode()).as(remapped.body()).isEqualTo(200);
            assertThat(JSON.readTree(remapped.body()).path("matched").asInt()).isEqualTo(1);
        }

        JsonNode get(String path) throws Exception {
            HttpResponse<String> response = http.send(admin(path).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(200);
            return JSON.readTree(response.body());
        }

        HttpResponse<String> post(String path) throws Exception {
            return http.send(admin(path).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpRequest.Builder admin(String path) {
            return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + TOKEN).header("X-Labhooks-Operator", "alice");
        }

        @Override
        public void close() {
            context.close();
        }
    }

    /**
     * The envelope as the README documents it, read independently of PayloadCipher: magic 00 'L' 'H' 'E', version 1,
     * key id length and id, 12-byte nonce, AES-256-GCM ciphertext and tag; AAD = header (magic to key id) + dedupe key.
     */
    static final class Envelope {

        static byte[] open(byte[] stored, String base64Key, String dedupeKey) throws Exception {
            int headerLength = 6 + stored[5];
            byte[] header = Arrays.copyOf(stored, headerLength);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(base64Key), "AES"),
                    new GCMParameterSpec(128, Arrays.copyOfRange(stored, headerLength, headerLength + 12)));
            byte[] row = dedupeKey.getBytes(StandardCharsets.UTF_8);
            cipher.updateAAD(ByteBuffer.allocate(headerLength + row.length).put(header).put(row).array());
            return cipher.doFinal(Arrays.copyOfRange(stored, headerLength + 12, stored.length));
        }
    }
}
