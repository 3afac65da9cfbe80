package io.labhooks.ingest;

import java.sql.SQLException;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.labhooks.event.EventExchange;

/**
 * Turns whatever stopped a webhook into its answer. A refused webhook gets its status and reason; a race lost
 * to a concurrent copy of the same event (unique key violation) is a duplicate and is acknowledged like one;
 * anything else is a 500 so the provider retries, since nothing was committed.
 */
@Component("ingestFailures")
public class IngestFailures {

    private static final Logger LOG = LoggerFactory.getLogger(IngestFailures.class);
    private static final String UNIQUE_VIOLATION = "23505";

    private final Acknowledgements acknowledgements;
    private final IngestMetrics metrics;

    public IngestFailures(Acknowledgements acknowledgements, IngestMetrics metrics) {
        this.acknowledgements = acknowledgements;
        this.metrics = metrics;
    }

    public void respond(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String provider = exchange.getProperty(EventExchange.PROVIDER, "unknown", String.class);
        if (failure instanceof WebhookRejectedException rejected) {
            metrics.webhook(provider, rejected.outcome());
            LOG.info("Refused a {} webhook with {}: {}", provider, rejected.status(), rejected.getMessage());
            acknowledgements.reject(exchange, rejected.status(), rejected.getMessage());
            return;
        }
        // A failure while storing: whatever this webhook's transaction wrote is rolled back, the answer still goes out.
        exchange.setRollbackOnlyLast(true);
        if (isUniqueViolation(failure)) {
            exchange.setProperty(WebhookExchange.DUPLICATE, true);
            acknowledgements.acknowledge(exchange);
        } else {
            metrics.webhook(provider, "error");
            LOG.error("Could not store a {} webhook (eventId {}); answered 500 so the provider retries: {}",
                    provider, exchange.getProperty(EventExchange.EVENT_ID), describe(failure));
            acknowledgements.reject(exchange, 500, "the webhook could not be stored; please retry");
        }
    }

    private static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** Exception classes only: database messages can quote the values being inserted. */
    private static String describe(Throwable failure) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = failure; t != null && chain.length() < 500; t = t.getCause()) {
            chain.append(chain.length() == 0 ? "" : " <- ").append(t.getClass().getName());
            if (t instanceof SQLException sql) {
                chain.append(" (SQLState ").append(sql.getSQLState()).append(')');
            }
        }
        return chain.toString();
    }
}
