package io.labhooks.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/** labhooks_webhooks_total{provider, outcome}: accepted, duplicate, rejected_signature, rejected_input, ... */
@Component
public class IngestMetrics {

    private final MeterRegistry registry;

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void webhook(String provider, String outcome) {
        registry.counter("labhooks.webhooks", "provider", provider, "outcome", outcome).increment();
    }
}
