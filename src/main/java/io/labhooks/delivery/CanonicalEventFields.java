package io.labhooks.delivery;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import io.labhooks.event.EventExchange;

/**
 * Exposes the canonical event's fields as typed exchange properties (${exchangeProperty.type}, ...), so the sink
 * routes can write SQL and email text declaratively; the same fields, as a map, become the body. A sink that takes a
 * whole batch gets a list of such maps instead.
 */
@Component("canonicalEventFields")
public class CanonicalEventFields {

    /** The fields of a batch's events that state their order's status (see {@link #exposeBatch}). */
    public static final String ORDER_STATUSES = "orderStatuses";

    private final ObjectMapper json;
    private final Clock clock;

    public CanonicalEventFields(ObjectMapper json, Clock clock) {
        this.json = json;
        this.clock = clock;
    }

    public void expose(Exchange exchange) throws JsonProcessingException {
        Map<String, Object> fields = fields(exchange.getIn().getBody(String.class),
                exchange.getProperty(EventExchange.EVENT_ID, String.class), exchange.getProperty(DeliveryQueue.EVENT_SEQ, Long.class),
                exchange.getProperty(DeliveryQueue.ORDER_KEY, String.class));
        fields.forEach(exchange::setProperty);
        // As the body too, so camel-sql reads its :#name parameters straight from this map. With the JSON text
        // as the body it tried, for every parameter, to convert that text to a Map, and each failed lookup
        // scanned Camel's whole type-converter registry: a quarter of the box's CPU under load.
        exchange.getMessage().setBody(fields);
    }

    /**
     * For a sink that takes a whole batch (the body: {@link DeliveryQueue.Delivery} records, or one of them as a batch
     * of one): the body becomes the list of each event's fields, as {@link #expose}
     * makes them, for camel-sql's batch mode; {@link #ORDER_STATUSES} lists those of the events that state their
     * order's status.
     */
    public void exposeBatch(Exchange exchange) throws JsonProcessingException {
        Object body = exchange.getIn().getBody();
        @SuppressWarnings("unchecked")
        List<DeliveryQueue.Delivery> batch = body instanceof DeliveryQueue.Delivery one ? List.of(one) : (List<DeliveryQueue.Delivery>) body;
        List<Map<String, Object>> all = new ArrayList<>();
        for (DeliveryQueue.Delivery delivery : batch) {
            all.add(fields(delivery.payload(), delivery.eventId(), delivery.eventSeq(), delivery.orderKey()));
        }
        exchange.setProperty(ORDER_STATUSES,
                all.stream().filter(f -> f.get("orderKey") != null && f.get("orderStatus") != null).toList());
        exchange.getMessage().setBody(all);
    }

    private Map<String, Object> fields(String payload, String eventId, Long eventSeq, String orderKey) throws JsonProcessingException {
        JsonNode event = json.readTree(payload);
        JsonNode order = event.path("order");
        Map<String, Object> fields = new LinkedHashMap<>(); // null values allowed: a missing field is SQL NULL
        fields.put(EventExchange.EVENT_ID, eventId);
        fields.put(DeliveryQueue.EVENT_SEQ, eventSeq);
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
        fields.put("orderKey", orderKey);
        fields.put("deliveredAt", OffsetDateTime.now(clock));
        return fields;
    }

    private static String text(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? null : node.asText();
    }
}
