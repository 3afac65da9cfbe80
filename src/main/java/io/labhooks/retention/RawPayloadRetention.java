package io.labhooks.retention;

import java.time.Clock;
import java.time.OffsetDateTime;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.store.InboundEventStore;

/**
 * Purges the raw payloads (which hold patient data) of stored webhooks received more than
 * labhooks.retention.raw-payload-days ago, with the resources fetched for them. Only webhooks that were mapped (or
 * REJECTED by the fetch stage) lose their payload: one still waiting
 * or FAILED keeps it until it is mapped, remapped or erased, so purging can never lose an event. The row, its
 * canonical events (ids only, no patient data) and the audit stay. A purged payload is empty and under no key.
 */
@Component("rawPayloadRetention")
public class RawPayloadRetention {

    private static final Logger LOG = LoggerFactory.getLogger(RawPayloadRetention.class);

    private final InboundEventStore store;
    private final Clock clock;
    private final LabhooksProperties.Retention settings;
    private final MeterRegistry metrics;

    public RawPayloadRetention(InboundEventStore store, Clock clock, LabhooksProperties properties, MeterRegistry metrics) {
        this.store = store;
        this.clock = clock;
        this.settings = properties.retention();
        this.metrics = metrics;
    }

    /** Number of payloads purged. In batches, each its own transaction, so no sweep locks many rows at once. */
    public int purge() {
        OffsetDateTime now = OffsetDateTime.now(clock);
        int purged = 0;
        int batch;
        do {
            batch = store.purgeRawPayloads(now, now.minusDays(settings.rawPayloadDays()));
            purged += batch;
        } while (batch > 0);
        if (purged > 0) {
            LOG.info("Purged the raw payloads of {} webhook(s) received more than {} days ago", purged, settings.rawPayloadDays());
            metrics.counter("labhooks.retention.purged").increment(purged);
        }
        return purged;
    }
}
