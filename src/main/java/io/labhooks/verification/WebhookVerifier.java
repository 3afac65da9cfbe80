package io.labhooks.verification;

import java.time.Clock;
import java.util.List;

import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.event.EventExchange;
import io.labhooks.ingest.WebhookRejectedException;
import io.labhooks.ingest.WebhookRequest;

/**
 * Proves a webhook genuine before anything is stored: HMAC over the raw body bytes, constant-time compares,
 * a timestamp tolerance in both directions, and several secrets at once for rotation. Throws 401 with a reason
 * that names what failed but never echoes a secret or signature. Every value comes from {@link WebhookRequest}: a
 * signature, timestamp, id or header token only from the request headers, a query token only from the query
 * string. The same name in the other place is ignored, so a credential sent only there is "missing".
 */
@Component("webhookVerifier")
public class WebhookVerifier {

    private final ProviderSecrets secrets;
    private final Clock clock;
    private final long toleranceSeconds;

    public WebhookVerifier(ProviderSecrets secrets, Clock clock, LabhooksProperties properties) {
        this.secrets = secrets;
        this.clock = clock;
        this.toleranceSeconds = properties.ingest().signatureToleranceSeconds();
    }

    /** 503 naming the variable when the provider's secret (or challenge token) is not set. */
    public void requireConfigured(Exchange exchange, String secretVariable, String challengeVariable) {
        String provider = exchange.getProperty(EventExchange.PROVIDER, String.class);
        secrets.require(provider, secretVariable);
        if (!challengeVariable.isBlank()) {
            secrets.require(provider, challengeVariable);
        }
    }

    public void verify(Exchange exchange, String scheme, String secretVariable, String tokenName) {
        String provider = exchange.getProperty(EventExchange.PROVIDER, String.class);
        List<String> keys = secrets.require(provider, secretVariable);
        byte[] body = exchange.getProperty(EventExchange.RAW_BODY, byte[].class);
        WebhookRequest request = WebhookRequest.of(exchange);
        switch (SignatureScheme.valueOf(scheme)) {
            case STANDARD_WEBHOOKS -> verifyStandardWebhooks(request, "webhook-", keys, body);
            case SVIX -> verifySvix(request, keys, body);
            case FULLSCRIPT -> verifyFullscript(request, keys, body);
            case HEADER_TOKEN -> verifyToken(request.header(tokenName), "header " + tokenName, keys);
            case QUERY_TOKEN -> verifyToken(request.queryParameter(tokenName), "query parameter " + tokenName, keys);
        }
    }

    /**
     * Svix signs with svix-* headers, or webhook-* when white-labelled (the set whose signature is present; with
     * neither, the missing one is svix-signature). The event id that is signed is also the dedupe key, so an
     * unsigned id of the other set must not differ from it: otherwise a replayed webhook with a made-up id would
     * pass as a new event.
     */
    private void verifySvix(WebhookRequest request, List<String> keys, byte[] body) {
        boolean whiteLabelled = request.header("svix-signature") == null && request.header("webhook-signature") != null;
        String prefix = whiteLabelled ? "webhook-" : "svix-";
        verifyStandardWebhooks(request, prefix, keys, body);
        String signedId = request.header(prefix + "id");
        String otherId = request.header(prefix.equals("svix-") ? "webhook-id" : "svix-id");
        if (otherId != null && !otherId.equals(signedId)) {
            throw WebhookRejectedException.badRequest("svix-id and webhook-id differ: send one set of Svix headers");
        }
    }

    private void verifyStandardWebhooks(WebhookRequest request, String prefix, List<String> secrets, byte[] body) {
        String id = requiredHeader(request, prefix + "id");
        String timestamp = requiredHeader(request, prefix + "timestamp");
        String signature = requiredHeader(request, prefix + "signature");
        checkTolerance(timestamp, prefix + "timestamp");
        List<byte[]> keys = secrets.stream().map(WebhookVerifier::standardWebhooksKey).toList();
        if (!StandardWebhooksSignature.matches(keys, id, timestamp, body, signature)) {
            throw WebhookRejectedException.unauthorized(prefix + "signature does not match");
        }
    }

    private static byte[] standardWebhooksKey(String secret) {
        try {
            return StandardWebhooksSignature.key(secret);
        } catch (IllegalArgumentException e) {
            throw WebhookRejectedException.notConfigured("the configured signing secret is not a valid whsec_ secret");
        }
    }

    private void verifyFullscript(WebhookRequest request, List<String> secrets, byte[] body) {
        FullscriptSignature.Parsed header = FullscriptSignature.parse(requiredHeader(request, "Fullscript-Signature"));
        if (header == null) {
            throw WebhookRejectedException.unauthorized("Fullscript-Signature header is not t=...,v1=...");
        }
        checkTolerance(header.timestamp(), "Fullscript-Signature timestamp");
        if (!FullscriptSignature.matches(secrets, header, body)) {
            throw WebhookRejectedException.unauthorized("Fullscript-Signature does not match");
        }
    }

    private static void verifyToken(String presented, String where, List<String> tokens) {
        if (presented == null || presented.isEmpty()) {
            throw WebhookRejectedException.unauthorized("missing " + where);
        }
        boolean matched = false;
        for (String token : tokens) {
            matched |= Hmac.tokensEqual(presented, token);
        }
        if (!matched) {
            throw WebhookRejectedException.unauthorized(where + " does not match");
        }
    }

    private void checkTolerance(String timestamp, String what) {
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw WebhookRejectedException.unauthorized(what + " is not a unix timestamp");
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - seconds) > toleranceSeconds) {
            throw WebhookRejectedException.unauthorized(
                    what + " is outside the " + toleranceSeconds + " s tolerance");
        }
    }

    private static String requiredHeader(WebhookRequest request, String name) {
        String value = request.header(name);
        if (value == null || value.isBlank()) {
            throw WebhookRejectedException.unauthorized("missing " + name + " header");
        }
        return value;
    }
}
