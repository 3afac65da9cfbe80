package io.labhooks.ingest;

/**
 * A webhook the box refuses, with the HTTP status and the one-line reason the caller gets back.
 * The reason must never contain a secret, a signature or body content.
 */
public class WebhookRejectedException extends RuntimeException {

    private final int status;
    private final String outcome;

    public WebhookRejectedException(int status, String outcome, String reason) {
        super(reason, null, false, false);
        this.status = status;
        this.outcome = outcome;
    }

    public int status() {
        return status;
    }

    /** Metric tag: why it was refused (signature, input, not_configured, too_large). */
    public String outcome() {
        return outcome;
    }

    public static WebhookRejectedException unauthorized(String reason) {
        return new WebhookRejectedException(401, "rejected_signature", reason);
    }

    public static WebhookRejectedException badRequest(String reason) {
        return new WebhookRejectedException(400, "rejected_input", reason);
    }

    public static WebhookRejectedException notConfigured(String reason) {
        return new WebhookRejectedException(503, "not_configured", reason);
    }
}
