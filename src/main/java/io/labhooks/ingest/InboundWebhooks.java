package io.labhooks.ingest;

import java.time.Clock;
import java.time.OffsetDateTime;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import io.labhooks.dedupe.DedupeKeys;
import io.labhooks.dedupe.EventIds;
import io.labhooks.event.EventExchange;

/**
 * Reads the raw body and the request's values once, then (after verification) checks it is one JSON object and
 * works out the provider's event type, the dedupe key and the stable eventId, as the provider's route says.
 */
@Component("inboundWebhooks")
public class InboundWebhooks {

    /** Event ids and types are stored in 255-character columns, behind a provider id of up to 64. */
    static final int MAX_ID_LENGTH = 180;

    private final JsonBodyReader bodyReader;
    private final DedupeKeys dedupeKeys;
    private final Clock clock;

    public InboundWebhooks(JsonBodyReader bodyReader, DedupeKeys dedupeKeys, Clock clock) {
        this.bodyReader = bodyReader;
        this.dedupeKeys = dedupeKeys;
        this.clock = clock;
    }

    /** Keeps the exact bytes that were signed and the request's values; everything after works from these. */
    public void readRequest(Exchange exchange) {
        WebhookRequest.capture(exchange);
        byte[] body = exchange.getIn().getBody(byte[].class);
        byte[] raw = body == null ? new byte[0] : body;
        exchange.setProperty(EventExchange.RAW_BODY, raw);
        exchange.setProperty(WebhookExchange.EMPTY_BODY, raw.length == 0);
        exchange.setProperty(EventExchange.RECEIVED_AT, OffsetDateTime.now(clock));
    }

    public void describe(Exchange exchange, String eventTypeSource, String dedupeKeySource, String mapping) {
        byte[] raw = exchange.getProperty(EventExchange.RAW_BODY, byte[].class);
        JsonNode body = bodyReader.readObject(raw);
        String provider = exchange.getProperty(EventExchange.PROVIDER, String.class);
        WebhookRequest request = WebhookRequest.of(exchange);
        String key = dedupeKeys.require(dedupeKeySource, request, body);
        String eventType = dedupeKeys.read(eventTypeSource, request, body);
        // Longer values would not fit their columns: refuse them now rather than fail every retry with a 500.
        if (key.length() > MAX_ID_LENGTH) {
            throw WebhookRejectedException.badRequest("event id is longer than " + MAX_ID_LENGTH + " characters");
        }
        if (eventType != null && eventType.length() > MAX_ID_LENGTH) {
            throw WebhookRejectedException.badRequest("event type is longer than " + MAX_ID_LENGTH + " characters");
        }
        String dedupeKey = provider + "|" + key;
        exchange.setProperty(EventExchange.DEDUPE_KEY, dedupeKey);
        exchange.setProperty(EventExchange.EVENT_ID, EventIds.of(dedupeKey));
        exchange.setProperty(EventExchange.PROVIDER_EVENT_ID, key.startsWith("sha256:") ? null : key);
        exchange.setProperty(EventExchange.PROVIDER_EVENT_TYPE, eventType);
        exchange.setProperty(EventExchange.MAPPING, mapping);
    }
}
