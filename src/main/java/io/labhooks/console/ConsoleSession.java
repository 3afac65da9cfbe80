package io.labhooks.console;

import java.time.Instant;

/**
 * A signed-in operator, as carried by the console's cookie: the name they gave, the fingerprint of the admin
 * token they signed in with, when they signed in and until when the session holds.
 */
public record ConsoleSession(String operator, String tokenFingerprint, Instant issuedAt, Instant expiresAt, String csrfToken) {

    /** The audit's name for the operator: like the API's, marked as coming from the console. */
    public String actor() {
        return operator + " (console, token " + tokenFingerprint + ")";
    }
}
