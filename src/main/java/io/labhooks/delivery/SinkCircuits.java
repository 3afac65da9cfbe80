package io.labhooks.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * One circuit breaker per sink, so a receiver that is down is probed, not hammered. After the sink's
 * {@code circuit.failures} failed attempts in a row the circuit opens: its poller claims nothing, and the waiting
 * deliveries spend no attempts, until a probe interval has passed; then exactly one delivery is tried (the probe).
 * Its success closes the circuit, its failure keeps it open for another interval.
 * <p>
 * Kept here rather than in Camel's circuitBreaker EIP: the breaker must stop deliveries from being claimed and
 * started at all (so no attempt is counted while the receiver is down), which a breaker around the send cannot.
 * The state is each box's own: several boxes each probe a sink that is down.
 */
@Component
public class SinkCircuits {

    private static final Logger LOG = LoggerFactory.getLogger(SinkCircuits.class);

    public enum State { CLOSED, OPEN, PROBING }

    private static final class Circuit {
        State state = State.CLOSED;
        int failuresInARow;
        Instant since = Instant.EPOCH;
    }

    private final SinkCatalog sinks;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final Map<String, Circuit> circuits = new ConcurrentHashMap<>();

    public SinkCircuits(SinkCatalog sinks, Clock clock, MeterRegistry metrics) {
        this.sinks = sinks;
        this.clock = clock;
        this.metrics = metrics;
        for (Sink sink : sinks.active()) {
            circuits.put(sink.name(), new Circuit());
            Gauge.builder("labhooks.sinks.circuit.open", () -> state(sink.name()) == State.CLOSED ? 0 : 1)
                    .tag("sink", sink.name()).description("1 while the sink's circuit is open (its receiver is taken for down)")
                    .register(metrics);
        }
    }

    /** Whether the sink's poller may claim deliveries now: the circuit is closed, or a probe is due. */
    public boolean mayClaim(String sink) {
        Circuit circuit = circuits.get(sink);
        if (circuit == null) {
            return true;
        }
        synchronized (circuit) {
            return circuit.state == State.CLOSED || probeDue(sink, circuit);
        }
    }

    /** Whether a claimed delivery may be attempted now; in an open circuit only the one probe may. */
    public boolean mayAttempt(String sink) {
        Circuit circuit = circuits.get(sink);
        if (circuit == null) {
            return true;
        }
        synchronized (circuit) {
            if (circuit.state == State.CLOSED) {
                return true;
            }
            if (!probeDue(sink, circuit)) {
                return false;
            }
            circuit.state = State.PROBING;
            circuit.since = clock.instant();
            metrics.counter("labhooks.sinks.circuit.probes", "sink", sink).increment();
            return true;
        }
    }

    /** The receiver took a delivery, or answered for good (a 4xx): it is up. */
    public void succeeded(String sink) {
        Circuit circuit = circuits.get(sink);
        if (circuit == null) {
            return;
        }
        synchronized (circuit) {
            if (circuit.state != State.CLOSED) {
                LOG.info("Sink {}: the receiver answers again; circuit closed, deliveries resume", sink);
            }
            circuit.state = State.CLOSED;
            circuit.failuresInARow = 0;
        }
    }

    /** An attempt failed in a way a working receiver would not (5xx, 408, 429, timeout, connection refused). */
    public void failed(String sink) {
        Circuit circuit = circuits.get(sink);
        if (circuit == null) {
            return;
        }
        int threshold = sinks.named(sink).map(s -> s.circuit().failures()).orElse(Integer.MAX_VALUE);
        synchronized (circuit) {
            circuit.failuresInARow++;
            if (circuit.state == State.PROBING || (circuit.state == State.CLOSED && circuit.failuresInARow >= threshold)) {
                if (circuit.state == State.CLOSED) {
                    LOG.warn("Sink {}: {} attempts in a row failed; circuit open, one probe every {} s until one succeeds",
                            sink, circuit.failuresInARow, probeInterval(sink).toSeconds());
                }
                circuit.state = State.OPEN;
                circuit.since = clock.instant();
            }
        }
    }

    public State state(String sink) {
        Circuit circuit = circuits.get(sink);
        if (circuit == null) {
            return State.CLOSED;
        }
        synchronized (circuit) {
            return circuit.state;
        }
    }

    /**
     * Open and an interval has passed since it opened or since the last probe failed; or a probe has been out for
     * a whole interval without an outcome (the box lost it), so another may go.
     */
    private boolean probeDue(String sink, Circuit circuit) {
        return circuit.state != State.CLOSED && !clock.instant().isBefore(circuit.since.plus(probeInterval(sink)));
    }

    private Duration probeInterval(String sink) {
        return sinks.named(sink).map(s -> s.circuit().probeInterval()).orElse(Duration.ZERO);
    }
}
