package io.labhooks.normalise;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.orderstate.OrderStateProjector;

/**
 * Records the events of one claimed batch that mapped and validated: the order states are projected for the whole
 * batch ({@link OrderStateProjector}) and the canonical events recorded with their deliveries and the inbound
 * events' NORMALISED marks ({@link CanonicalEventStore}), each step a few statements for the batch rather than
 * several per event. The whole batch goes in one transaction, so a batch costs one commit. When that transaction
 * fails, nothing of it is kept and each event is recorded again in a transaction of its own: an event that fails
 * then fails alone, as if it had been claimed alone, and the others are recorded.
 */
@Component("canonicalEventBatch")
public class CanonicalEventBatch {

    private static final Logger LOG = LoggerFactory.getLogger(CanonicalEventBatch.class);
    /** Set on an event that mapped and validated: only those are recorded. */
    public static final String MAPPED = "mapped";

    private final TransactionTemplate transaction;
    private final ObjectMapper json;
    private final OrderStateProjector projector;
    private final CanonicalEventStore store;
    private final InboundEventQueue inboundEvents;

    public CanonicalEventBatch(TransactionTemplate transaction, ObjectMapper json, OrderStateProjector projector,
                               CanonicalEventStore store, InboundEventQueue inboundEvents) {
        this.transaction = transaction;
        this.json = json;
        this.projector = projector;
        this.store = store;
        this.inboundEvents = inboundEvents;
    }

    public void record(List<Exchange> batch) {
        List<Exchange> mapped = batch.stream().filter(event -> event.getProperty(MAPPED, false, Boolean.class)).toList();
        if (mapped.isEmpty()) {
            return;
        }
        try {
            transaction.executeWithoutResult(status -> recordTogether(mapped));
            return;
        } catch (RuntimeException batchFailed) {
            if (mapped.size() > 1) {
                LOG.info("A batch of {} events could not be recorded together ({}); recording each alone", mapped.size(),
                        describe(cause(batchFailed)));
            }
        }
        for (Exchange event : mapped) {
            try {
                transaction.executeWithoutResult(status -> recordTogether(List.of(event)));
            } catch (RuntimeException failed) {
                event.setProperty(Exchange.EXCEPTION_CAUGHT, cause(failed));
                inboundEvents.markFailed(event);
            }
        }
    }

    /** Each attempt starts again from the completed canonical events (the message bodies, which it leaves as they are). */
    private void recordTogether(List<Exchange> exchanges) {
        try {
            List<ObjectNode> events = new ArrayList<>();
            for (Exchange exchange : exchanges) {
                events.add((ObjectNode) json.readTree(exchange.getIn().getBody(String.class)));
            }
            store.record(exchanges, events, projector.project(events));
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
