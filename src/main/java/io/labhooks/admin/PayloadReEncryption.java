package io.labhooks.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.payload.PayloadCipher;
import io.labhooks.payload.PayloadEncryptionStatus;
import io.labhooks.payload.PayloadKeys;
import io.labhooks.payload.PayloadUnreadableException;
import io.labhooks.store.InboundEventStore;

/**
 * Re-encrypts every stored raw payload that is not under the newest key (plain JSON or an older key) under the
 * newest one, 100 rows per transaction, so the old key can be removed once none is left. Each row is read and
 * rewritten on its own, holding one payload in memory at a time, and only if it is still as it was read: a row
 * purged, erased or re-encrypted by another call meanwhile is left alone. A payload that cannot be decrypted is
 * skipped and counted. The call is audited before the first row changes.
 */
@Component
public class PayloadReEncryption {

    static final int BATCH = 100;
    private static final int SHOWN_UNREADABLE = 20;
    private static final Logger LOG = LoggerFactory.getLogger(PayloadReEncryption.class);

    private final NamedParameterJdbcTemplate jdbc;
    private final InboundEventStore store;
    private final TransactionTemplate transaction;
    private final PayloadKeys keys;
    private final PayloadCipher cipher;
    private final PayloadEncryptionStatus status;
    private final AuditLog audit;

    public PayloadReEncryption(NamedParameterJdbcTemplate jdbc, InboundEventStore store, TransactionTemplate transaction, PayloadKeys keys,
                               PayloadCipher cipher, PayloadEncryptionStatus status, AuditLog audit) {
        this.jdbc = jdbc;
        this.store = store;
        this.transaction = transaction;
        this.keys = keys;
        this.cipher = cipher;
        this.status = status;
        this.audit = audit;
    }

    public Map<String, Object> reEncrypt(String actor) {
        String newest = keys.newestId().orElseThrow(() -> new AdminRequestException(409,
                "payload encryption is off: set LABHOOKS_PAYLOAD_KEYS first"));
        audit.record(actor, "re-encrypt-payloads", "inbound events",
                "to key '" + newest + "': " + status.notUnderNewestKey() + " payload(s) were not under it");
        int reEncrypted = 0;
        List<Long> unreadable = new ArrayList<>();
        long after = 0;
        List<Long> batch;
        do {
            batch = jdbc.queryForList("SELECT id FROM inbound_event WHERE id > :after AND "
                    + PayloadEncryptionStatus.NOT_UNDER_NEWEST + " ORDER BY id FETCH FIRST :batch ROWS ONLY",
                    Map.of("after", after, "newest", newest, "batch", BATCH), Long.class);
            List<Long> ids = batch;
            reEncrypted += transaction.execute(tx -> {
                int done = 0;
                for (long id : ids) {
                    try {
                        done += reEncrypt(id, newest);
                    } catch (PayloadUnreadableException e) {
                        unreadable.add(id);
                    }
                }
                return done;
            });
            after = batch.isEmpty() ? after : batch.get(batch.size() - 1);
        } while (batch.size() == BATCH);
        long remaining = status.notUnderNewestKey();
        LOG.info("Re-encrypted {} raw payload(s) under key '{}'; {} not under it remain, {} of them unreadable",
                reEncrypted, newest, remaining, unreadable.size());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("keyId", newest);
        result.put("reEncrypted", reEncrypted);
        result.put("remaining", remaining);
        result.put("unreadable", unreadable.size());
        result.put("unreadableInboundEventIds", unreadable.subList(0, Math.min(SHOWN_UNREADABLE, unreadable.size())));
        return result;
    }

    /** 1 if the row was rewritten under the newest key, 0 if it changed since it was listed. */
    private int reEncrypt(long id, String newest) {
        List<Map<String, Object>> rows = jdbc.queryForList("""
                SELECT dedupe_key, body, payload_key_id, fetched, fetched_key_id FROM inbound_event
                WHERE id = :id AND body_purged_at IS NULL""", Map.of("id", id));
        if (rows.isEmpty()) {
            return 0;
        }
        Map<String, Object> row = rows.get(0);
        String dedupeKey = (String) row.get("dedupe_key");
        String oldKey = (String) row.get("payload_key_id");
        // the resources fetched for the event are sealed like its body, bound to the same row
        byte[] fetched = (byte[]) row.get("fetched");
        if (fetched != null && !newest.equals(row.get("fetched_key_id"))) {
            String binding = PayloadCipher.fetchedBinding(dedupeKey);
            PayloadCipher.Stored resealed = cipher.seal(cipher.open(fetched, binding), binding);
            store.resealFetched(id, resealed);
            if (newest.equals(oldKey)) {
                return 1;
            }
        }
        if (newest.equals(oldKey)) {
            return 0;
        }
        PayloadCipher.Stored stored = cipher.seal(cipher.open((byte[]) row.get("body"), dedupeKey), dedupeKey);
        return store.resealBody(id, stored, oldKey);
    }
}
