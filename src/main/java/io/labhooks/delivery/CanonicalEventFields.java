package io.labhooks.delivery;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import io.labhooks.event.EventExchange;

/**
 * Exposes the canonical event's fields as typed exchange properties (${exchangeProperty.type}, ...), so the sink
 * routes can write SQL and email text declaratively; the same fields, as a map, become the body.
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
        Map<String, Object> fields = new LinkedHashMap<>(); // null values allowed: a missing field is SQL NULL
        fields.put(EventExchange.EVENT_ID, exchange.getProperty(EventExchange.EVENT_ID));
        fields.put(DeliveryQueue.EVENT_SEQ, exchange.getProperty(DeliveryQueue.EVENT_SEQ));
        fields.put("eventJson", payload);
        fields.put("provider", event.path("provider").asText());
        fields.put("type", event.path("type").asText());
        fields.put("providerEventType", event.path("providerEventType").asText());
        fields.put("externalOrderId", text(order.path("externalOrderId")));
        fields.put("providerOrderId", text(order.path("providerOrderId")));
        fields.put("orderStatus", text(order.path("status")));
        fields.put("outOfOrder", event.path("outOfOrder").asBoolean());
        fields.put("occurredAt", OffsetDateTime.parse(event.path("occurredAt").asText()));
        fields.put("receivedAt", OffsetDateTime.parse(event.path("receivedAt").asText()));
        fields.put("resultsAvailability", text(event.path("results").path("availability")));
        // as recorded: an event whose ids are linked to an order belongs to it, whatever id it leads with
        fields.put("orderKey", exchange.getProperty(DeliveryQueue.ORDER_KEY, String.class));
        fields.put("deliveredAt", OffsetDateTime.now(clock));
        fields.forEach(exchange::setProperty);
        // As the body too, so camel-sql reads its :#name parameters straight from this map. With the JSON text
        // as the body it tried, for every parameter, to convert that text to a Map, and each failed lookup
        // scanned Camel's whole type-converter registry: a quarter of the box's CPU under load.
        exchange.getMessage().setBody(fields);
    }

    private static String text(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? null : node.asText();
    }
}
