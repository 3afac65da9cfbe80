package io.labhooks.delivery;

import java.time.Clock;
import java.time.OffsetDateTime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import io.labhooks.orderstate.OrderKeys;

/**
 * Exposes the canonical event's fields as typed exchange properties (${exchangeProperty.type}, ...), so the sink
 * routes can write SQL and email text declaratively.
 */
@Component("canonicalEventFields")
public class CanonicalEventFields {

    private final ObjectMapper json;
    private final Clock clock;

    public CanonicalEventFields(ObjectMapper json, Clock clock) {
        this.json = json;
        this.clock = clock;
    }

    public void expose(Exchange exchange) throws JsonProcessingException {
        String payload = exchange.getIn().getBody(String.class);
        JsonNode event = json.readTree(payload);
        JsonNode order = event.path("order");
        exchange.setProperty("eventJson", payload);
        exchange.setProperty("provider", event.path("provider").asText());
        exchange.setProperty("type", event.path("type").asText());
        exchange.setProperty("providerEventType", event.path("providerEventType").asText());
        exchange.setProperty("externalOrderId", text(order.path("externalOrderId")));
        exchange.setProperty("providerOrderId", text(order.path("providerOrderId")));
        exchange.setProperty("orderStatus", text(order.path("status")));
        exchange.setProperty("outOfOrder", event.path("outOfOrder").asBoolean());
        exchange.setProperty("occurredAt", OffsetDateTime.parse(event.path("occurredAt").asText()));
        exchange.setProperty("receivedAt", OffsetDateTime.parse(event.path("receivedAt").asText()));
        exchange.setProperty("resultsAvailability", text(event.path("results").path("availability")));
        exchange.setProperty("orderKey", OrderKeys.of(event));
        exchange.setProperty("deliveredAt", OffsetDateTime.now(clock));
    }

    private static String text(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? null : node.asText();
    }
}
