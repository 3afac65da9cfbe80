package io.labhooks.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import io.labhooks.config.LabhooksProperties;

/**
 * Guards /admin with a bearer token from LABHOOKS_ADMIN_TOKEN. With no token set the admin API is off and says
 * so. The caller is recorded for the audit as the operator it names (X-Labhooks-Operator) and a fingerprint of
 * the token it used, never the token itself. Hand-written rather than Spring Security: one static bearer token
 * on one path prefix needs a comparison, not a security framework that would also wrap the webhook endpoints.
 */
public class AdminAccess extends OncePerRequestFilter {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAccess.class);
    static final String ACTOR = "labhooks.admin.actor";

    private final List<byte[]> tokens;
    private final ObjectMapper json;

    public AdminAccess(LabhooksProperties.Admin settings, ObjectMapper json) {
        String configured = settings == null || settings.token() == null ? "" : settings.token();
        this.tokens = Arrays.stream(configured.split("[\\s,]+")).filter(t -> !t.isBlank())
                .map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
        this.json = json;
        if (tokens.isEmpty()) {
            LOG.info("Admin API is off: set LABHOOKS_ADMIN_TOKEN to turn on /admin");
        } else {
            LOG.info("Admin API is on under /admin (bearer token from LABHOOKS_ADMIN_TOKEN)");
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (tokens.isEmpty()) {
            refuse(response, 503, "the admin API is off: set LABHOOKS_ADMIN_TOKEN to turn it on");
            return;
        }
        String authorization = request.getHeader("Authorization");
        byte[] presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8) : null;
        byte[] matched = presented == null ? null
                : tokens.stream().filter(t -> MessageDigest.isEqual(t, presented)).findFirst().orElse(null);
        if (matched == null) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"labhooks-admin\"");
            refuse(response, 401, "a valid admin bearer token is required");
            return;
        }
        String operator = request.getHeader("X-Labhooks-Operator");
        operator = operator == null || operator.isBlank() ? "unnamed operator"
                : operator.strip().replaceAll("[^\\p{Alnum} @._-]", "_");
        operator = operator.length() > 100 ? operator.substring(0, 100) : operator;
        request.setAttribute(ACTOR, operator + " (token " + fingerprint(matched) + ")");
        chain.doFilter(request, response);
    }

    /** The first 8 hex digits of the token's SHA-256: tells rotated tokens apart in the audit, reveals nothing. */
    static String fingerprint(byte[] token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token)).substring(0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void refuse(HttpServletResponse response, int status, String reason) throws IOException {
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        json.writeValue(response.getOutputStream(), java.util.Map.of("error", reason));
    }
}
