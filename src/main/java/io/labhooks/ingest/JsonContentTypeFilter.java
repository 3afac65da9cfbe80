package io.labhooks.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * 415 for a webhook body declared as something other than JSON: application/json and application/*+json are
 * accepted, with no charset or charset=UTF-8.
 * <p>
 * A servlet filter, not a step in the route: Camel's platform-http binding acts on the Content-Type before the
 * route runs. An application/x-www-form-urlencoded JSON body makes it fail with a 500 and a WARN that quotes the
 * whole body, patient data included. Runs after {@link RequestSizeLimitFilter}, so the body length is known.
 * <p>
 * An empty body passes whatever it declares: Fullscript's reachability probe must get its challenge and its headers
 * are not documented; other providers' empty bodies get 400 in the route. A missing Content-Type passes too: none of
 * the five providers documents the header it sends (providers.md, the seeds), the body is still checked to be one
 * UTF-8 JSON object, and refusing it would turn a harmless omission into lost lab events.
 */
@Configuration
class JsonContentTypeFilter {

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> webhookContentType() {
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(new Check());
        registration.addUrlPatterns("/webhooks/*");
        registration.setOrder(RequestSizeLimitFilter.ORDER + 1);
        return registration;
    }

    /** Null when the declared type is acceptable for a JSON webhook, else the one-line reason. */
    static String refusal(Set<String> contentTypes) {
        if (contentTypes.size() > 1) {
            return "Content-Type is sent more than once with different values";
        }
        String header = contentTypes.isEmpty() ? null : contentTypes.iterator().next();
        if (header == null || header.isBlank()) {
            return null;
        }
        MediaType type;
        try {
            type = MediaType.parseMediaType(header);
        } catch (InvalidMediaTypeException e) {
            return "Content-Type is not a valid media type: application/json is expected";
        }
        boolean json = type.getType().equalsIgnoreCase("application")
                && (type.getSubtype().equalsIgnoreCase("json") || "json".equalsIgnoreCase(type.getSubtypeSuffix()));
        if (!json) {
            return "Content-Type must be application/json";
        }
        // JSON is UTF-8 (RFC 8259 §8.1); a body declared as another charset was meant to be read differently.
        String charset = type.getParameter("charset");
        if (charset != null && !charset.replace("\"", "").equalsIgnoreCase("utf-8")) {
            return "Content-Type charset must be UTF-8";
        }
        return null;
    }

    private static final class Check extends OncePerRequestFilter {
        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            Set<String> contentTypes = new LinkedHashSet<>(Collections.list(request.getHeaders("Content-Type")));
            String refusal = request.getContentLengthLong() == 0 ? null : refusal(contentTypes);
            if (refusal == null) {
                chain.doFilter(request, response);
                return;
            }
            response.setStatus(415);
            response.setContentType("application/json");
            response.getOutputStream().write(("{\"error\":\"" + refusal + "\"}").getBytes(StandardCharsets.UTF_8));
        }
    }
}
