package io.labhooks.operations;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import io.labhooks.payload.PayloadEncryptionStatus;

/**
 * /actuator/health's "pipeline" part: each sink's backlog, oldest pending age and dead letters, and the stored
 * webhooks waiting or FAILED; and whether raw payloads are encrypted at rest, under which key, and how many are not
 * yet under it. A backlog is reported, not judged: the box is UP while it can take webhooks (the
 * database part says whether it can), because a provider must keep being answered while a sink is down.
 */
@Component("pipeline")
public class PipelineHealth implements HealthIndicator {

    private final PipelineBacklog backlog;
    private final PayloadEncryptionStatus encryption;

    public PipelineHealth(PipelineBacklog backlog, PayloadEncryptionStatus encryption) {
        this.backlog = backlog;
        this.encryption = encryption;
    }

    @Override
    public Health health() {
        PipelineBacklog.Snapshot snapshot = backlog.snapshot();
        Map<String, Object> sinks = new LinkedHashMap<>();
        snapshot.sinks().forEach((sink, b) -> sinks.put(sink, Map.of(
                "pending", b.pending(), "oldestPendingSeconds", b.oldestPending().toSeconds(), "dead", b.dead())));
        return Health.up()
                .withDetail("sinks", sinks)
                .withDetail("inbound", Map.of("waiting", snapshot.inbound().waiting(),
                        "oldestWaitingSeconds", snapshot.inbound().oldestWaiting().toSeconds(),
                        "failed", snapshot.inbound().failed()))
                .withDetail("payloadEncryption", encryption.details())
                .build();
    }
}
