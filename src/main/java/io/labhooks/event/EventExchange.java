package io.labhooks.event;

/**
 * Names of the exchange properties every stage reads or sets for an event (readable as ${exchangeProperty.x}):
 * what ingest recorded about the webhook, and what the normaliser reads back from the stored row. Kept apart from
 * any one stage so that no later stage imports an earlier one; each stage's own names stay with it.
 */
public final class EventExchange {

    public static final String PROVIDER = "provider";
    public static final String DEDUPE_KEY = "dedupeKey";
    public static final String EVENT_ID = "eventId";
    public static final String PROVIDER_EVENT_ID = "providerEventId";
    public static final String PROVIDER_EVENT_TYPE = "providerEventType";
    public static final String MAPPING = "mapping";
    public static final String RECEIVED_AT = "receivedAt";
    /** The webhook's body exactly as received: what its signature covers and what the store keeps. */
    public static final String RAW_BODY = "rawBody";
    /** When the webhook's dedupe key may be released (its provider's dedupe window), stored with it. */
    public static final String DEDUPE_EXPIRES_AT = "dedupeExpiresAt";

    private EventExchange() {
    }
}
