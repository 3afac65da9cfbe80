package io.labhooks.verification;

/** How a provider proves a webhook is genuine; chosen per provider in routes/providers/<provider>.camel.yaml. */
public enum SignatureScheme {
    /** webhook-id / webhook-timestamp / webhook-signature (Lola Dispatch). */
    STANDARD_WEBHOOKS,
    /** svix-id / svix-timestamp / svix-signature, same algorithm (Junction). */
    SVIX,
    /** Fullscript-Signature: t=...,v1=hex. */
    FULLSCRIPT,
    /** A shared token in a request header, compared in constant time (Hurdle, which cannot sign). */
    HEADER_TOKEN,
    /** A shared token in a query parameter of the webhook URL (London Medical Laboratory, which cannot sign). */
    QUERY_TOKEN
}
