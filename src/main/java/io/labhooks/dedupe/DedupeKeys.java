package io.labhooks.dedupe;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.springframework.stereotype.Component;

import io.labhooks.ingest.WebhookRejectedException;
import io.labhooks.ingest.WebhookRequest;

/**
 * Where a provider's values come from, as written in its route: {@code header:<name>[,<name>]} or
 * {@code json:<pointer>[,<pointer>]} (the first one present wins) or, for providers that send no event id,
 * {@code sha256}: the SHA-256 of the body with keys sorted and whitespace removed, so the same event re-sent with
 * other formatting is still one event. Headers are read through {@link WebhookRequest}, so a signed id is used
 * exactly as it was verified (not trimmed, not joined with a repeat of itself, never from the query string).
 */
@Component
public class DedupeKeys {

    private final ObjectMapper canonicalWriter = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    /** The value, or null when the source finds none. */
    public String read(String source, WebhookRequest request, JsonNode body) {
        if (source.startsWith("header:")) {
            for (String name : source.substring("header:".length()).split(",")) {
                String value = request.header(name.trim());
                if (value != null && !value.isBlank()) {
                    return value;
                }
            }
            return null;
        }
        if (source.startsWith("json:")) {
            for (String pointer : source.substring("json:".length()).split(",")) {
                JsonNode node = body.at(pointer.trim());
                if (node.isValueNode() && !node.isNull() && !node.asText().isBlank()) {
                    return node.asText();
                }
            }
            return null;
        }
        if (source.equals("sha256")) {
            return "sha256:" + sha256Hex(canonical(body));
        }
        throw new IllegalArgumentException("unknown value source '" + source + "': use header:, json: or sha256");
    }

    /** Like {@link #read} but 400 when the value is missing. */
    public String require(String source, WebhookRequest request, JsonNode body) {
        String value = read(source, request, body);
        if (value == null) {
            throw WebhookRejectedException.badRequest("no event id found (" + source + ")");
        }
        return value;
    }

    private byte[] canonical(JsonNode body) {
        try {
            return canonicalWriter.writeValueAsBytes(canonicalWriter.treeToValue(body, Object.class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot canonicalise a parsed body", e);
        }
    }

    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
