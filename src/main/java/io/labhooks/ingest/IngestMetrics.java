package io.labhooks.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * Per provider: labhooks_webhooks_received_total (every request that reached the provider's route),
 * labhooks_webhooks_verified_total (its signature or token checked out), and labhooks_webhooks_total{outcome}
 * with how each ended: accepted, duplicate, rejected_signature, rejected_input, not_configured, error.
 */
@Component("ingestMetrics")
public class IngestMetrics {

    private final MeterRegistry registry;

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void received(String provider) {
        registry.counter("labhooks.webhooks.received", "provider", provider).increment();
    }

    public void verified(String provider) {
        registry.counter("labhooks.webhooks.verified", "provider", provider).increment();
    }

    public void webhook(String provider, String outcome) {
        registry.counter("labhooks.webhooks", "provider", provider, "outcome", outcome).increment();
    }
}
