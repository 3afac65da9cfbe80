package io.labhooks.admin;

import java.io.IOException;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;


/**
 * Guards /admin with a bearer token from LABHOOKS_ADMIN_TOKEN. With no token set the admin API is off and says
 * so. The caller is recorded for the audit as the operator it names (X-Labhooks-Operator) and a fingerprint of
 * the token it used, never the token itself. Hand-written rather than Spring Security: one static bearer token
 * on one path prefix needs a comparison, not a security framework that would also wrap the webhook endpoints.
 */
public class AdminAccess extends OncePerRequestFilter {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAccess.class);
    static final String ACTOR = "labhooks.admin.actor";

    private final AdminTokens tokens;
    private final ObjectMapper json;

    public AdminAccess(AdminTokens tokens, ObjectMapper json) {
        this.tokens = tokens;
        this.json = json;
        if (tokens.off()) {
            LOG.info("Admin API is off: set LABHOOKS_ADMIN_TOKEN to turn on /admin");
        } else {
            LOG.info("Admin API is on under /admin (bearer token from LABHOOKS_ADMIN_TOKEN)");
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (tokens.off()) {
            refuse(response, 503, "the admin API is off: set LABHOOKS_ADMIN_TOKEN to turn it on");
            return;
        }
        String authorization = request.getHeader("Authorization");
        String presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
        byte[] matched = tokens.match(presented).orElse(null);
        if (matched == null) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"labhooks-admin\"");
            refuse(response, 401, "a valid admin bearer token is required");
            return;
        }
        request.setAttribute(ACTOR, AdminTokens.actor(AdminTokens.operatorName(request.getHeader("X-Labhooks-Operator")), matched));
        chain.doFilter(request, response);
    }

    private void refuse(HttpServletResponse response, int status, String reason) throws IOException {
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        json.writeValue(response.getOutputStream(), java.util.Map.of("error", reason));
    }
}
