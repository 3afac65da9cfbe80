package io.labhooks.dedupe;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.config.StartupRefusal;
import io.labhooks.event.EventExchange;
import io.labhooks.store.InboundEventStore;

/**
 * How long a provider's dedupe key keeps a re-sent webhook a duplicate: its {@code dedupeWindow}, set in the
 * provider's route and longer than the provider's longest retry schedule. Once the window has passed, the key is
 * released and the same body is a new event. This matters most for providers that send no event id (Hurdle, LML),
 * whose key is a hash of the body: an appointment scheduled, cancelled and scheduled again weeks later can send
 * the very same body twice.
 */
@Component("dedupeWindows")
public class DedupeWindows {

    private static final Logger LOG = LoggerFactory.getLogger(DedupeWindows.class);
    private static final int BATCH = 500;

    private final NamedParameterJdbcTemplate jdbc;
    private final InboundEventStore store;
    private final TransactionTemplate transaction;
    private final Clock clock;
    private final CamelContext camel;

    public DedupeWindows(NamedParameterJdbcTemplate jdbc, InboundEventStore store, TransactionTemplate transaction, Clock clock, CamelContext camel) {
        this.jdbc = jdbc;
        this.store = store;
        this.transaction = transaction;
        this.clock = clock;
        this.camel = camel;
    }

    /**
     * Every provider route's window must read as a duration: a typo would otherwise answer each of that provider's
     * webhooks 500 until its retries ran out. Checked once the routes are built; a bad one stops the box.
     */
    @EventListener(ApplicationReadyEvent.class)
    public void checkEveryProvidersWindow() {
        for (RouteDefinition route : camel.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinitions()) {
            Map<String, Object> parameters = route.getTemplateParameters();
            if (parameters != null && parameters.containsKey("dedupeWindow")) {
                parse(String.valueOf(parameters.get("dedupeWindow")), String.valueOf(parameters.get("provider")));
            }
        }
    }

    /** When this webhook's dedupe key is released: its receipt plus the provider's window ({@code 10d}, {@code PT36H}). */
    public void expiry(Exchange exchange, String window) {
        OffsetDateTime receivedAt = exchange.getProperty(EventExchange.RECEIVED_AT, OffsetDateTime.class);
        exchange.setProperty(EventExchange.DEDUPE_EXPIRES_AT, receivedAt.plus(parse(window,
                exchange.getProperty(EventExchange.PROVIDER, String.class))));
    }

    static Duration parse(String window, String provider) {
        try {
            Duration duration = DurationStyle.detectAndParse(window);
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("not positive");
            }
            return duration;
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new StartupRefusal("the dedupeWindow of provider " + provider + " is '" + window
                    + "', not a positive duration such as 10d",
                    "Correct the dedupeWindow parameter in routes/providers/" + provider + ".camel.yaml (10d, 36h or P10D).");
        }
    }

    /** Releases the keys whose window has passed; the number released. In batches, each its own transaction. */
    public int releaseExpired() {
        int released = 0;
        int batch;
        do {
            batch = transaction.execute(tx -> {
                List<InboundEventStore.DedupeHold> expired = store.dedupeWindowsPassed(OffsetDateTime.now(clock), BATCH);
                if (expired.isEmpty()) {
                    return 0;
                }
                jdbc.update("DELETE FROM camel_messageprocessed WHERE processor_name = :processor AND message_id IN (:keys)",
                        Map.of("processor", DedupeRepositoryConfiguration.PROCESSOR,
                                "keys", expired.stream().map(InboundEventStore.DedupeHold::dedupeKey).toList()));
                store.dedupeReleased(expired.stream().map(InboundEventStore.DedupeHold::id).toList());
                return expired.size();
            });
            released += batch;
        } while (batch == BATCH);
        if (released > 0) {
            LOG.info("Released the dedupe keys of {} webhook(s) whose provider's dedupe window has passed", released);
        }
        return released;
    }
}
