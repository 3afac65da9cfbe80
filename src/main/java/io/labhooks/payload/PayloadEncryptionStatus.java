package io.labhooks.payload;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Whether raw payloads are encrypted, under which key, and how many stored payloads are not yet under it (plain
 * JSON or an older key; purged ones have none): what /actuator/health shows and re-encryption counts down.
 */
@Component
public class PayloadEncryptionStatus {

    private static final Duration FRESH = Duration.ofSeconds(2);

    private final PayloadKeys keys;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private volatile Map<String, Object> last;
    private volatile Instant lastAt = Instant.MIN;

    public PayloadEncryptionStatus(PayloadKeys keys, JdbcTemplate jdbc, Clock clock) {
        this.keys = keys;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Read from the database now; zero when encryption is off (there is no key to be under). */
    public long notUnderNewestKey() {
        return keys.newestId().map(newest -> jdbc.queryForObject("""
                SELECT COUNT(*) FROM inbound_event WHERE body_purged_at IS NULL
                AND (payload_key_id IS NULL OR payload_key_id <> ?)""", Long.class, newest)).orElse(0L);
    }

    /** For health: read at most every couple of seconds however often it is scraped. */
    public Map<String, Object> details() {
        Instant now = clock.instant();
        Map<String, Object> details = last;
        if (details == null || lastAt.plus(FRESH).isBefore(now)) {
            details = new LinkedHashMap<>();
            details.put("enabled", keys.encrypting());
            if (keys.encrypting()) {
                details.put("keyId", keys.newestId().orElseThrow());
                details.put("decryptKeyIds", keys.ids());
                details.put("notUnderNewestKey", notUnderNewestKey());
            }
            last = details;
            lastAt = now;
        }
        return details;
    }
}
