package io.labhooks.payload;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Whether raw payloads are encrypted, under which key, and how many stored payloads are not yet under it (plain
 * JSON or an older key; purged ones have none): what /actuator/health shows and re-encryption counts down.
 */
@Component
public class PayloadEncryptionStatus {

    /**
     * Rows whose stored payload is not under key :newest. Written with ranges rather than {@code <>} so that
     * PostgreSQL answers it from ix_inbound_event_payload_key instead of scanning every row ever received.
     */
    public static final String NOT_UNDER_NEWEST = """
            body_purged_at IS NULL AND (payload_key_id IS NULL OR payload_key_id < :newest OR payload_key_id > :newest
                OR (fetched IS NOT NULL AND (fetched_key_id IS NULL OR fetched_key_id < :newest OR fetched_key_id > :newest)))""";
    private static final Duration FRESH = Duration.ofSeconds(2);

    private final PayloadKeys keys;
    private final NamedParameterJdbcTemplate jdbc;
    private final Clock clock;
    private volatile Map<String, Object> last;
    private volatile Instant lastAt = Instant.MIN;

    public PayloadEncryptionStatus(PayloadKeys keys, NamedParameterJdbcTemplate jdbc, Clock clock) {
        this.keys = keys;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Read from the database now; zero when encryption is off (there is no key to be under). */
    public long notUnderNewestKey() {
        return keys.newestId().map(newest -> jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE " + NOT_UNDER_NEWEST,
                Map.of("newest", newest), Long.class)).orElse(0L);
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
