package io.labhooks.ingest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import jakarta.servlet.http.HttpServletRequest;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;

/**
 * The one place a webhook's header and query parameter values are read, for verification, the dedupe key and the
 * event type alike. Taken from the HTTP request itself, never from Camel's headers: platform-http copies every
 * query parameter into a Camel header, so {@code ?webhook-id=...} or {@code ?X-Webhook-Token=...} would read as a
 * header, and a header sent twice reads as its values joined with commas. Here a header is only what came as a
 * request header and a query parameter only what is in the raw query string.
 * <p>
 * Each value is reduced once and kept: repeats of one value are that value, different values are refused with 400
 * (never "first one wins"), and every later read of the same name gets the value that was read first, so the id
 * that was verified is exactly the id that is deduped on.
 */
public final class WebhookRequest {

    /** Header name (any case) to its values, one per header line, as the client sent them. */
    private final Map<String, List<String>> headers;
    private final String query;
    private final Map<String, Optional<String>> read = new HashMap<>();

    WebhookRequest(Map<String, List<String>> headers, String query) {
        this.headers = headers;
        this.query = query;
    }

    /** Reads the request behind a platform-http exchange and keeps it on the exchange. */
    public static void capture(Exchange exchange) {
        Message in = exchange.getIn();
        if (!(in instanceof PlatformHttpMessage http)) {
            throw new IllegalStateException("not a platform-http request: " + in.getClass().getName());
        }
        exchange.setProperty(WebhookExchange.REQUEST, of(http.getRequest()));
    }

    static WebhookRequest of(HttpServletRequest request) {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : Collections.list(request.getHeaderNames())) {
            headers.computeIfAbsent(name, n -> new ArrayList<>()).addAll(Collections.list(request.getHeaders(name)));
        }
        return new WebhookRequest(headers, request.getQueryString());
    }

    /** The request {@link #capture} kept on this exchange. */
    public static WebhookRequest of(Exchange exchange) {
        WebhookRequest request = exchange.getProperty(WebhookExchange.REQUEST, WebhookRequest.class);
        if (request == null) {
            throw new IllegalStateException("the webhook request was not captured");
        }
        return request;
    }

    /** The request header's one value, null when absent; 400 when it came several times with different values. */
    public String header(String name) {
        return read.computeIfAbsent("header " + name.toLowerCase(Locale.ROOT),
                what -> single(headers.getOrDefault(name, List.of()), "header " + name)).orElse(null);
    }

    /** The query parameter's one value (decoded), null when absent; 400 when it came with different values. */
    public String queryParameter(String name) {
        return read.computeIfAbsent("query parameter " + name,
                what -> single(queryValues(name), "query parameter " + name)).orElse(null);
    }

    private List<String> queryValues(String name) {
        List<String> values = new ArrayList<>();
        if (query == null || query.isEmpty()) {
            return values;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (decode(eq < 0 ? pair : pair.substring(0, eq)).equals(name)) {
                values.add(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return values;
    }

    private static String decode(String encoded) {
        try {
            return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            throw WebhookRejectedException.badRequest("the query string is not valid percent-encoding");
        }
    }

    private static Optional<String> single(List<String> values, String what) {
        Set<String> distinct = new LinkedHashSet<>(values);
        if (distinct.size() > 1) {
            throw WebhookRejectedException.badRequest(what + " is sent more than once with different values");
        }
        return distinct.stream().findFirst();
    }
}
