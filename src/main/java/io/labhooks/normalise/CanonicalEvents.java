package io.labhooks.normalise;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.labhooks.event.EventExchange;

/**
 * Completes what a provider's mapping returned into a canonical event: adds the fields that come from the
 * pipeline rather than the body (schema version, eventId, provider, provider event type and id, receivedAt) and
 * normalises occurredAt to an ISO-8601 instant with offset. Field order is fixed so events read alike.
 */
@Component("canonicalEvents")
public class CanonicalEvents {

    private static final Logger LOG = LoggerFactory.getLogger(CanonicalEvents.class);
    public static final String SCHEMA_VERSION = "1";

    private final ObjectMapper json;

    public CanonicalEvents(ObjectMapper json) {
        this.json = json;
    }

    public void complete(Exchange exchange) throws JsonProcessingException {
        String mapped = exchange.getIn().getBody(String.class);
        JsonNode node = mapped == null || mapped.isBlank() ? null : json.readTree(mapped);
        if (node == null || !node.isObject()) {
            throw new IllegalStateException("mapping " + exchange.getProperty(EventExchange.MAPPING)
                    + " did not return a JSON object");
        }
        ObjectNode mappedEvent = (ObjectNode) node;
        String providerEventType = exchange.getProperty(EventExchange.PROVIDER_EVENT_TYPE, String.class);
        OffsetDateTime receivedAt = exchange.getProperty(EventExchange.RECEIVED_AT, OffsetDateTime.class);

        ObjectNode event = json.createObjectNode();
        event.put("schemaVersion", SCHEMA_VERSION);
        event.put("eventId", exchange.getProperty(EventExchange.EVENT_ID, String.class));
        event.put("provider", exchange.getProperty(EventExchange.PROVIDER, String.class));
        event.put("providerEventType", providerEventType == null ? "(none)" : providerEventType);
        event.put("providerEventId", exchange.getProperty(EventExchange.PROVIDER_EVENT_ID, String.class));
        event.set("providerStatus", mappedEvent.remove("providerStatus"));
        event.set("type", mappedEvent.remove("type"));
        event.put("occurredAt", occurredAt(mappedEvent.remove("occurredAt"), receivedAt, event));
        event.put("receivedAt", rfc3339(receivedAt));
        event.put("outOfOrder", false);
        event.put("source", exchange.getProperty(InboundEventQueue.POLLED_RESOURCE) == null ? "webhook" : "poll");
        enrichment(exchange).ifPresent(e -> event.set("enrichment", e));
        String superseded = exchange.getProperty(InboundEventQueue.SUPERSEDED_EVENT_ID, String.class);
        if (superseded != null) {
            event.put("revision", exchange.getProperty(InboundEventQueue.REVISION, Integer.class));
            event.put("supersedesEventId", superseded);
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = mappedEvent.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            event.set(field.getKey(), field.getValue());
        }
        if (!event.hasNonNull("providerStatus")) {
            event.remove("providerStatus");
        }
        if ("UNKNOWN".equals(event.path("type").asText())) {
            LOG.info("Kept a {} event of a type its mapping does not know: {} (eventId {})",
                    event.path("provider").asText(), event.path("providerEventType").asText(), event.path("eventId").asText());
        }
        exchange.getMessage().setBody(json.writeValueAsString(event));
    }

    /** What the fetch stage did for the event, when it waited for one: its outcome and the names fetched. */
    private Optional<ObjectNode> enrichment(Exchange exchange) throws JsonProcessingException {
        String outcome = exchange.getProperty(InboundEventQueue.FETCH_OUTCOME, String.class);
        if (outcome == null) {
            return Optional.empty();
        }
        ObjectNode enrichment = json.createObjectNode();
        enrichment.put("status", outcome);
        var names = enrichment.putArray("fetched");
        String fetched = exchange.getProperty(InboundEventQueue.FETCHED, String.class);
        if (fetched != null) {
            json.readTree(fetched).fieldNames().forEachRemaining(names::add);
        }
        String note = exchange.getProperty(InboundEventQueue.FETCH_NOTE, String.class);
        if ("WEBHOOK_ONLY".equals(outcome) && note != null) {
            enrichment.put("reason", note);
        }
        return Optional.of(enrichment);
    }

    /** The provider's time when it gives one we can read, else the time we received the webhook. */
    private static String occurredAt(JsonNode stated, OffsetDateTime receivedAt, ObjectNode event) {
        if (stated == null || stated.isNull() || stated.asText().isBlank()) {
            return rfc3339(receivedAt);
        }
        String text = stated.asText();
        try {
            return rfc3339(OffsetDateTime.parse(text));
        } catch (DateTimeParseException withoutOffset) {
            try {
                // Junction documents appointment times as UTC but sends them without an offset.
                return rfc3339(LocalDateTime.parse(text).atOffset(ZoneOffset.UTC));
            } catch (DateTimeParseException unreadable) {
                LOG.warn("{} event {} states an occurredAt that is not a date-time; using receivedAt",
                        event.path("provider").asText(), event.path("eventId").asText());
                return rfc3339(receivedAt);
            }
        }
    }

    /** Always with seconds (OffsetDateTime.toString drops ":00", which RFC 3339 does not allow). */
    static String rfc3339(OffsetDateTime time) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time);
    }
}
