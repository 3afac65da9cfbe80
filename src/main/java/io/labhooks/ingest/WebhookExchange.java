package io.labhooks.ingest;

/**
 * Names of the exchange properties only the ingest route and its beans use (readable as ${exchangeProperty.x});
 * those every stage shares are in {@link io.labhooks.event.EventExchange}.
 */
public final class WebhookExchange {

    public static final String ACKNOWLEDGEMENT = "acknowledgement";
    public static final String CHALLENGE_VARIABLE = "challengeVariable";
    /** The {@link WebhookRequest}: the request's headers and query parameters, each read once. */
    public static final String REQUEST = "webhookRequest";
    public static final String EMPTY_BODY = "emptyBody";
    public static final String DUPLICATE = "duplicate";

    private WebhookExchange() {
    }
}
