package io.labhooks.operations;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import io.labhooks.delivery.SinkCircuits;
import io.labhooks.payload.PayloadEncryptionStatus;

/**
 * /actuator/health's "pipeline" part: each sink's backlog, oldest pending age, dead letters and circuit (CLOSED,
 * OPEN while its receiver is taken for down, PROBING while one delivery tests it), and the stored webhooks waiting
 * or FAILED; and whether raw payloads are encrypted at rest, under which key, and how many are not yet under it.
 * A backlog is reported, not judged: the box is UP while it can take webhooks (the
 * database part says whether it can), because a provider must keep being answered while a sink is down.
 */
@Component("pipeline")
public class PipelineHealth implements HealthIndicator {

    private final PipelineBacklog backlog;
    private final SinkCircuits circuits;
    private final PayloadEncryptionStatus encryption;

    public PipelineHealth(PipelineBacklog backlog, SinkCircuits circuits, PayloadEncryptionStatus encryption) {
        this.backlog = backlog;
        this.circuits = circuits;
        this.encryption = encryption;
    }

    @Override
    public Health health() {
        PipelineBacklog.Snapshot snapshot = backlog.snapshot();
        Map<String, Object> sinks = new LinkedHashMap<>();
        snapshot.sinks().forEach((sink, b) -> sinks.put(sink, Map.of(
                "pending", b.pending(), "oldestPendingSeconds", b.oldestPending().toSeconds(), "dead", b.dead(),
                "circuit", circuits.state(sink).name())));
        return Health.up()
                .withDetail("sinks", sinks)
                .withDetail("inbound", Map.of("waiting", snapshot.inbound().waiting(),
                        "oldestWaitingSeconds", snapshot.inbound().oldestWaiting().toSeconds(),
                        "failed", snapshot.inbound().failed()))
                .withDetail("payloadEncryption", encryption.details())
                .build();
    }
}
