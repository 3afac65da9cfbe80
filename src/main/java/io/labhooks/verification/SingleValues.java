package io.labhooks.verification;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

import io.labhooks.ingest.WebhookRejectedException;

/**
 * The one value of a header or query parameter that verification relies on. platform-http hands a header sent
 * twice to the route as a List, and a plain String read of it would silently pick one; a repeated query parameter
 * is the same trap. Two different values are refused with 400, never "first one wins". Repeats of one value are
 * harmless and read as that value.
 */
final class SingleValues {

    private SingleValues() {
    }

    /** The header's value, null when absent; 400 when it was sent several times with different values. */
    static String header(Message in, String name) {
        Object value = in.getHeader(name);
        if (value instanceof Iterable<?> values) {
            Set<String> distinct = new LinkedHashSet<>();
            values.forEach(v -> distinct.add(String.valueOf(v)));
            return single(distinct, "header " + name);
        }
        return value == null ? null : in.getHeader(name, String.class);
    }

    /** Read from the raw query string, so a request header of the same name cannot stand in for it. */
    static String queryParameter(Message in, String name) {
        String query = in.getHeader(Exchange.HTTP_QUERY, String.class);
        if (query == null) {
            return null;
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.equals(name)) {
                distinct.add(eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return single(distinct, "query parameter " + name);
    }

    private static String single(Set<String> distinct, String what) {
        if (distinct.size() > 1) {
            throw WebhookRejectedException.badRequest(what + " is sent more than once with different values");
        }
        return distinct.isEmpty() ? null : distinct.iterator().next();
    }
}
