package io.labhooks.ingest;

/** Names of the exchange properties the ingest route and its beans share (readable as ${exchangeProperty.x}). */
public final class WebhookExchange {

    public static final String PROVIDER = "provider";
    public static final String ACKNOWLEDGEMENT = "acknowledgement";
    public static final String CHALLENGE_VARIABLE = "challengeVariable";
    /** The {@link WebhookRequest}: the request's headers and query parameters, each read once. */
    public static final String REQUEST = "webhookRequest";
    public static final String RAW_BODY = "rawBody";
    public static final String EMPTY_BODY = "emptyBody";
    public static final String DEDUPE_KEY = "dedupeKey";
    public static final String EVENT_ID = "eventId";
    public static final String PROVIDER_EVENT_ID = "providerEventId";
    public static final String PROVIDER_EVENT_TYPE = "providerEventType";
    public static final String MAPPING = "mapping";
    public static final String RECEIVED_AT = "receivedAt";
    public static final String DUPLICATE = "duplicate";
    public static final String DEDUPE_EXPIRES_AT = "dedupeExpiresAt";

    private WebhookExchange() {
    }
}
