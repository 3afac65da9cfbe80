package io.labhooks.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.labhooks.admin.AdminTokens;
import io.labhooks.config.LabhooksProperties;

/** The console's stateless sessions: valid on any box with the token, ended by expiry, tampering or rotation. */
class ConsoleSessionsTest {

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void aSessionHoldsOnEveryBoxWithTheTokenAndEndsWhenTheTokenIsRotatedOut() {
        String cookie = sessions("old-token new-token", T0).signIn("old-token", "alice").orElseThrow();
        // Another box, same tokens: the same session, by operator and token fingerprint, never the token.
        ConsoleSession session = sessions("old-token,new-token", T0.plusSeconds(60)).verify(cookie).orElseThrow();
        assertThat(session.operator()).isEqualTo("alice");
        assertThat(session.actor()).isEqualTo("alice (console, token " + AdminTokens.fingerprint("old-token".getBytes()) + ")");
        assertThat(cookie).doesNotContain("old-token");
        // The old token rotated out: no box accepts the session any more.
        assertThat(sessions("new-token", T0.plusSeconds(60)).verify(cookie)).isEmpty();
        assertThat(sessions("new-token", T0).signIn("old-token", "alice")).isEmpty();
    }

    @Test
    void aTamperedOrExpiredSessionIsRefused() {
        String cookie = sessions("token", T0).signIn("token", "alice").orElseThrow();
        String[] parts = cookie.split("\\.");
        String asMallory = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("mallory".getBytes())
                + cookie.substring(parts[0].length());
        String longer = String.join(".", parts[0], parts[1], parts[2], Long.toString(T0.plus(Duration.ofDays(9)).getEpochSecond()), parts[4]);
        assertThat(sessions("token", T0).verify(asMallory)).isEmpty();
        assertThat(sessions("token", T0).verify(longer)).isEmpty();
        assertThat(sessions("token", T0).verify("garbage")).isEmpty();
        assertThat(sessions("token", T0.plus(ConsoleSessions.IDLE).minusSeconds(1)).verify(cookie)).isPresent();
        assertThat(sessions("token", T0.plus(ConsoleSessions.IDLE)).verify(cookie)).isEmpty();
    }

    @Test
    void useMovesTheIdleExpiryOnButNeverPastEightHours() {
        String cookie = sessions("token", T0).signIn("token", "alice").orElseThrow();
        Instant later = T0.plus(Duration.ofMinutes(20));
        ConsoleSession session = sessions("token", later).verify(cookie).orElseThrow();
        String renewed = sessions("token", later).renew(session).orElseThrow();
        assertThat(sessions("token", T0.plus(Duration.ofMinutes(45))).verify(renewed)).isPresent();
        assertThat(sessions("token", T0.plus(Duration.ofMinutes(45))).verify(cookie)).isEmpty();

        // Renewed every 20 minutes, it still ends 8 hours after sign-in.
        String current = cookie;
        for (Instant at = T0.plus(Duration.ofMinutes(20)); at.isBefore(T0.plus(ConsoleSessions.LONGEST)); at = at.plus(Duration.ofMinutes(20))) {
            ConsoleSessions box = sessions("token", at);
            ConsoleSession s = box.verify(current).orElseThrow();
            current = box.renew(s).orElse(current);
        }
        assertThat(sessions("token", T0.plus(ConsoleSessions.LONGEST)).verify(current)).isEmpty();
        // A renewal keeps the CSRF token (pages already open keep working); another sign-in has its own.
        assertThat(sessions("token", later).verify(renewed).orElseThrow().csrfToken()).isEqualTo(session.csrfToken());
        String other = sessions("token", later).signIn("token", "alice").orElseThrow();
        assertThat(sessions("token", later).verify(other).orElseThrow().csrfToken()).isNotEqualTo(session.csrfToken());
    }

    private static ConsoleSessions sessions(String tokens, Instant now) {
        return new ConsoleSessions(new AdminTokens(new LabhooksProperties.Admin(tokens, List.of())), Clock.fixed(now, ZoneOffset.UTC));
    }
}
