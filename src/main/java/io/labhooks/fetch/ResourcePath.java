package io.labhooks.fetch;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A resource path template such as {@code /test_registration/{id}/}, filled with ids read from a webhook. Each id
 * becomes exactly one percent-encoded path segment, and ids like {@code ..} are refused, so whatever a webhook says
 * the call stays on the configured base URL under the configured path: a forged body cannot steer the box to another
 * host or path.
 */
public final class ResourcePath {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z][A-Za-z0-9_]*)}");
    private static final Pattern SAFE_TEMPLATE = Pattern.compile("/[A-Za-z0-9_\\-./{}]*");

    private ResourcePath() {
    }

    /** Why the template cannot be used with these ids, or empty when it can. */
    public static Optional<String> problem(String template, Map<String, String> ids) {
        if (template == null || !SAFE_TEMPLATE.matcher(template).matches() || template.contains("//")
                || template.contains("/../") || template.endsWith("/..")) {
            return Optional.of("path '" + template + "' must start with / and hold only letters, digits, - _ . / and {placeholders}");
        }
        Matcher placeholders = PLACEHOLDER.matcher(template);
        while (placeholders.find()) {
            if (!ids.containsKey(placeholders.group(1))) {
                return Optional.of("path '" + template + "' has {" + placeholders.group(1) + "} but ids gives no pointer for it");
            }
        }
        if (template.replaceAll(PLACEHOLDER.pattern(), "").matches(".*[{}].*")) {
            return Optional.of("path '" + template + "' has a brace that is not a {placeholder}");
        }
        return Optional.empty();
    }

    /**
     * The path with each placeholder replaced by the webhook's value at its JSON pointer (or the first of several,
     * separated by commas, that is present: providers with two envelope shapes); empty when a value is missing, not
     * a string or number, blank, or a dot segment.
     */
    public static Optional<String> fill(String template, Map<String, String> ids, JsonNode webhook) {
        Matcher placeholders = PLACEHOLDER.matcher(template);
        StringBuilder path = new StringBuilder();
        while (placeholders.find()) {
            JsonNode value = firstPresent(webhook, ids.get(placeholders.group(1)));
            String text = value.isTextual() ? value.asText() : value.isIntegralNumber() ? value.asText() : null;
            if (text == null || text.isBlank() || text.equals(".") || text.equals("..") || text.length() > 200) {
                return Optional.empty();
            }
            placeholders.appendReplacement(path, Matcher.quoteReplacement(segment(text)));
        }
        placeholders.appendTail(path);
        return Optional.of(path.toString());
    }

    /**
     * The query string for these parameters (name -> JSON pointer into the webhook), each value percent-encoded;
     * a parameter whose value is missing is left out. Empty when there are none.
     */
    public static String query(Map<String, String> parameters, JsonNode webhook) {
        StringBuilder query = new StringBuilder();
        parameters.forEach((name, pointers) -> {
            JsonNode value = firstPresent(webhook, pointers);
            if (value.isTextual() || value.isIntegralNumber()) {
                query.append(query.isEmpty() ? "" : "&").append(segment(name)).append('=').append(segment(value.asText()));
            }
        });
        return query.toString();
    }

    private static JsonNode firstPresent(JsonNode webhook, String pointers) {
        JsonNode value = webhook.at(pointers.split(",")[0].trim());
        for (String pointer : pointers.split(",")) {
            value = webhook.at(pointer.trim());
            if (!value.isMissingNode() && !value.isNull()) {
                return value;
            }
        }
        return value;
    }

    /** The path with {@code {id}} replaced by the id, as one path segment; empty for a blank or dot-segment id. */
    public static Optional<String> fillId(String template, String id) {
        if (id == null || id.isBlank() || id.equals(".") || id.equals("..") || id.length() > 200) {
            return Optional.empty();
        }
        return Optional.of(template.replace("{id}", segment(id)));
    }

    /** RFC 3986 path segment: unreserved characters as they are, every other byte percent-encoded. */
    static String segment(String value) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                encoded.append(c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return encoded.toString();
    }
}
