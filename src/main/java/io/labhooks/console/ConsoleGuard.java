package io.labhooks.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.ResponseCookie;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

import io.labhooks.admin.AdminTokens;

/**
 * In front of every console page: off without an admin token; a signed-in session for all but the sign-in page;
 * and for every request that changes something (POST), a same-origin request carrying the session's CSRF token
 * (the sign-in form carries a one-off token from its own cookie). Moves the session's idle expiry on as it is used.
 */
class ConsoleGuard implements HandlerInterceptor {

    static final String SESSION_COOKIE = "labhooks_console";
    static final String SIGN_IN_COOKIE = "labhooks_console_sign_in";
    static final String SESSION = "labhooks.console.session";
    static final String CSRF_FIELD = "_csrf";
    static final String CSRF_HEADER = "X-CSRF-Token";

    private final AdminTokens tokens;
    private final ConsoleSessions sessions;

    ConsoleGuard(AdminTokens tokens, ConsoleSessions sessions) {
        this.tokens = tokens;
        this.sessions = sessions;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method) || !method.getBeanType().getPackageName().equals(getClass().getPackageName())) {
            return true; // static files
        }
        if (tokens.off()) {
            throw new ConsoleRefusal(ConsoleRefusal.Kind.OFF, "the console is off: set LABHOOKS_ADMIN_TOKEN to turn it on");
        }
        boolean changes = !"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod());
        if (changes) {
            String site = request.getHeader("Sec-Fetch-Site");
            if (site != null && !site.equals("same-origin") && !site.equals("none")) {
                throw new ConsoleRefusal(ConsoleRefusal.Kind.FORBIDDEN, "this request did not come from the console's own pages");
            }
        }
        if (method.hasMethodAnnotation(PublicPage.class)) {
            if (changes && !matches(cookie(request, SIGN_IN_COOKIE).orElse(null), presentedCsrf(request))) {
                throw new ConsoleRefusal(ConsoleRefusal.Kind.FORBIDDEN, "the sign-in form has expired: reload the page and sign in again");
            }
            return true;
        }
        ConsoleSession session = cookie(request, SESSION_COOKIE).flatMap(sessions::verify).orElseThrow(() ->
                new ConsoleRefusal(ConsoleRefusal.Kind.NOT_SIGNED_IN, "sign in to use the console"));
        if (changes && !matches(session.csrfToken(), presentedCsrf(request))) {
            throw new ConsoleRefusal(ConsoleRefusal.Kind.FORBIDDEN, "this request lacks the page's CSRF token: reload the page and try again");
        }
        sessions.renew(session).ifPresent(renewed -> response.addHeader("Set-Cookie", sessionCookie(request, renewed).toString()));
        request.setAttribute(SESSION, session);
        return true;
    }

    static ResponseCookie sessionCookie(HttpServletRequest request, String value) {
        return cookie(request, SESSION_COOKIE, value, ConsoleSessions.LONGEST.toSeconds());
    }

    static ResponseCookie cookie(HttpServletRequest request, String name, String value, long maxAgeSeconds) {
        return ResponseCookie.from(name, value).httpOnly(true).secure(request.isSecure()).sameSite("Strict")
                .path("/console").maxAge(maxAgeSeconds).build();
    }

    static Optional<String> cookie(HttpServletRequest request, String name) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return Optional.empty();
        }
        for (Cookie cookie : cookies) {
            if (cookie.getName().equals(name) && !cookie.getValue().isEmpty()) {
                return Optional.of(cookie.getValue());
            }
        }
        return Optional.empty();
    }

    private static String presentedCsrf(HttpServletRequest request) {
        String header = request.getHeader(CSRF_HEADER);
        return header != null ? header : request.getParameter(CSRF_FIELD);
    }

    private static boolean matches(String expected, String presented) {
        return expected != null && presented != null
                && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }
}
