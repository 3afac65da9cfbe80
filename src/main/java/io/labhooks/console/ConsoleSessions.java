package io.labhooks.console;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.springframework.stereotype.Component;

import io.labhooks.admin.AdminTokens;

/**
 * Console sessions without server-side state, so every box behind a load balancer accepts them: the cookie holds
 * operator, token fingerprint, issue and expiry times, signed with HMAC-SHA256 under a key derived from the admin
 * token the operator signed in with. A session ends when it expires (30 minutes idle, 8 hours at most) or when
 * its token is rotated out of LABHOOKS_ADMIN_TOKEN, since no key can be derived for it any more. The CSRF token
 * of a session is derived from its sign-in the same way, so it needs no storage either.
 */
@Component
public class ConsoleSessions {

    static final Duration IDLE = Duration.ofMinutes(30);
    static final Duration LONGEST = Duration.ofHours(8);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final AdminTokens tokens;
    private final Clock clock;

    public ConsoleSessions(AdminTokens tokens, Clock clock) {
        this.tokens = tokens;
        this.clock = clock;
    }

    /** A new session for an operator who presented this token; empty when the token is not a current one. */
    public Optional<String> signIn(String presentedToken, String operatorName) {
        return tokens.match(presentedToken).map(token -> {
            Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            return cookieValue(token, AdminTokens.operatorName(operatorName), now, now.plus(IDLE));
        });
    }

    /** The session a cookie carries, if its signature holds under a current token and it has not expired. */
    public Optional<ConsoleSession> verify(String cookie) {
        if (cookie == null) {
            return Optional.empty();
        }
        String[] parts = cookie.split("\\.");
        if (parts.length != 5) {
            return Optional.empty();
        }
        Optional<byte[]> token = tokens.withFingerprint(parts[1]);
        if (token.isEmpty()) {
            return Optional.empty();
        }
        String signed = parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3];
        byte[] expected = mac(token.get(), "session", signed);
        byte[] presented;
        try {
            presented = Base64.getUrlDecoder().decode(parts[4]);
        } catch (IllegalArgumentException notBase64) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(expected, presented)) {
            return Optional.empty();
        }
        Instant issued;
        Instant expires;
        try {
            issued = Instant.ofEpochSecond(Long.parseLong(parts[2]));
            expires = Instant.ofEpochSecond(Long.parseLong(parts[3]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (!now.isBefore(expires) || !now.isBefore(issued.plus(LONGEST))) {
            return Optional.empty();
        }
        String operator = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
        // From the sign-in alone (not the expiry), so pages rendered before a renewal keep working after it.
        String csrf = B64.encodeToString(mac(token.get(), "csrf", parts[0] + "." + parts[1] + "." + parts[2]));
        return Optional.of(new ConsoleSession(operator, parts[1], issued, expires, csrf));
    }

    /**
     * The same session with its idle expiry moved on, once more than a minute of it has passed (so most requests
     * do not rewrite the cookie); empty when nothing needs renewing. Never past the 8-hour limit.
     */
    public Optional<String> renew(ConsoleSession session) {
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant expires = min(now.plus(IDLE), session.issuedAt().plus(LONGEST));
        if (!expires.isAfter(session.expiresAt().plusSeconds(60))) {
            return Optional.empty();
        }
        return tokens.withFingerprint(session.tokenFingerprint())
                .map(token -> cookieValue(token, session.operator(), session.issuedAt(), expires));
    }

    private String cookieValue(byte[] token, String operator, Instant issued, Instant expires) {
        String signed = B64.encodeToString(operator.getBytes(StandardCharsets.UTF_8)) + "." + AdminTokens.fingerprint(token)
                + "." + issued.getEpochSecond() + "." + expires.getEpochSecond();
        return signed + "." + B64.encodeToString(mac(token, "session", signed));
    }

    /** HMAC-SHA256 under a key derived from the token for one purpose, so session and CSRF keys never coincide. */
    private static byte[] mac(byte[] token, String purpose, String data) {
        try {
            Mac derive = Mac.getInstance("HmacSHA256");
            derive.init(new SecretKeySpec(token, "HmacSHA256"));
            byte[] key = derive.doFinal(("labhooks-console-" + purpose).getBytes(StandardCharsets.UTF_8));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
