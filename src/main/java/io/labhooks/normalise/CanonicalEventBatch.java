package io.labhooks.normalise;

import java.io.UncheckedIOException;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.orderstate.OrderStateProjector;

/**
 * Records the events of one claimed batch that mapped and validated: for each, the order state is projected and
 * the canonical event recorded with its deliveries and the inbound event's NORMALISED mark ({@link
 * CanonicalEventStore}). The whole batch goes in one transaction, so a batch costs one commit rather than one per
 * event. When that transaction fails, nothing of it is kept and each event is recorded again in a transaction of
 * its own: an event that fails then fails alone, as if it had been claimed alone, and the others are recorded.
 */
@Component("canonicalEventBatch")
public class CanonicalEventBatch {

    private static final Logger LOG = LoggerFactory.getLogger(CanonicalEventBatch.class);
    /** Set on an event that mapped and validated: only those are recorded. */
    public static final String MAPPED = "mapped";
    /** The completed canonical event before projection, to start again from if the batch is rolled back. */
    private static final String COMPLETED = "completedCanonicalEvent";

    private final TransactionTemplate transaction;
    private final OrderStateProjector projector;
    private final CanonicalEventStore store;
    private final InboundEventQueue inboundEvents;

    public CanonicalEventBatch(TransactionTemplate transaction, OrderStateProjector projector, CanonicalEventStore store,
                               InboundEventQueue inboundEvents) {
        this.transaction = transaction;
        this.projector = projector;
        this.store = store;
        this.inboundEvents = inboundEvents;
    }

    public void record(List<Exchange> batch) {
        List<Exchange> mapped = batch.stream().filter(event -> event.getProperty(MAPPED, false, Boolean.class)).toList();
        if (mapped.isEmpty()) {
            return;
        }
        mapped.forEach(event -> event.setProperty(COMPLETED, event.getMessage().getBody(String.class)));
        try {
            transaction.executeWithoutResult(status -> mapped.forEach(this::project));
            return;
        } catch (RuntimeException batchFailed) {
            if (mapped.size() > 1) {
                LOG.info("A batch of {} events could not be recorded together ({}); recording each alone", mapped.size(),
                        describe(cause(batchFailed)));
            }
        }
        for (Exchange event : mapped) {
            event.getMessage().setBody(event.getProperty(COMPLETED, String.class));
            try {
                transaction.executeWithoutResult(status -> project(event));
            } catch (RuntimeException failed) {
                event.setProperty(Exchange.EXCEPTION_CAUGHT, cause(failed));
                inboundEvents.markFailed(event);
            }
        }
    }

    private void project(Exchange event) {
        try {
            projector.project(event);
            store.record(event);
        } catch (JsonProcessingException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    private static Throwable cause(RuntimeException failure) {
        return failure instanceof UncheckedIOException wrapped ? wrapped.getCause() : failure;
    }

    private static String describe(Throwable failure) {
        return failure.getClass().getSimpleName();
    }
}
