package io.labhooks.admin;

import java.time.Clock;
import java.time.OffsetDateTime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The admin_audit table: who read a raw payload, retried, replayed or erased what, and when. Written in the same
 * transaction as the action it records, so there is no action without its audit row. Never purged.
 */
@Component
public class AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

    private final JdbcTemplate jdbc;
    private final Clock clock;

    public AuditLog(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public void record(String actor, String action, String target, String detail) {
        jdbc.update("INSERT INTO admin_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                OffsetDateTime.now(clock), actor, action, target, detail == null || detail.length() <= 2000 ? detail
                        : detail.substring(0, 2000));
        LOG.info("Admin: {} did {} on {}", actor, action, target);
    }
}
