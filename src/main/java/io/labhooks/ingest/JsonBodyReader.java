package io.labhooks.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.springframework.stereotype.Component;

/**
 * Reads a webhook's raw bytes as the one JSON object it must be, or refuses them with 400. Strict on purpose: the
 * signature covers bytes, so every later stage (the dedupe hash, the JSONata mapping) must get exactly one
 * unambiguous reading of them. Reasons name the problem and where it is, never the content.
 */
@Component
public class JsonBodyReader {

    /**
     * Provider payloads nest fewer than 10 levels. Jackson's default (1000) lets a 2 KB body drive the recursive
     * steps after ingest (canonicalising for the dedupe hash, JSONata) deep enough to risk a StackOverflowError
     * on a small thread stack; 200 is far above any real payload and far below that.
     */
    static final int MAX_NESTING_DEPTH = 200;

    /**
     * Characters in one JSON number. No id, count or lab value needs more; a longer number cannot be carried
     * exactly by the mapping (which reads numbers as doubles) and costs BigInteger/BigDecimal work to parse.
     */
    static final int MAX_NUMBER_LENGTH = 100;

    private final ObjectMapper reader = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .maxNumberLength(MAX_NUMBER_LENGTH)
                            .build())
                    // {"type":"a","type":"b"} is signed as sent, but a mapper would see only one of the two values
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public JsonNode readObject(byte[] raw) {
        String text = utf8(raw);
        // RFC 8259 §8.1: senders MUST NOT add one. Jackson would skip it, but the stored bytes go to the mapping,
        // which does not: refused now with a reason rather than failing to map later.
        if (text.startsWith("\uFEFF")) {
            throw WebhookRejectedException.badRequest("body starts with a byte order mark: JSON must be plain UTF-8");
        }
        if (text.isBlank()) {
            throw WebhookRejectedException.badRequest("empty body: a JSON object is expected");
        }
        JsonNode body;
        try {
            body = reader.readTree(text);
        } catch (StreamConstraintsException e) {
            throw WebhookRejectedException.badRequest(limitExceeded(e));
        } catch (JsonProcessingException e) {
            throw WebhookRejectedException.badRequest(malformed(e));
        }
        if (body == null || !body.isObject()) {
            throw WebhookRejectedException.badRequest("body is not a JSON object");
        }
        requireFiniteNumbers(body);
        return body;
    }

    /**
     * JSON is UTF-8 (RFC 8259 §8.1). Decoding strictly refuses what the mapping would otherwise turn into U+FFFD
     * without a word, and parsing the decoded text stops Jackson from guessing UTF-16 or UTF-32 from zero bytes.
     */
    private static String utf8(byte[] raw) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw))
                    .toString();
        } catch (CharacterCodingException e) {
            throw WebhookRejectedException.badRequest("body is not valid UTF-8");
        }
    }

    /** Jackson names the limit only in its message; each limit set above gets its own reason. */
    private static String limitExceeded(StreamConstraintsException e) {
        String message = String.valueOf(e.getOriginalMessage());
        if (message.contains("getMaxNestingDepth")) {
            return "JSON is nested deeper than " + MAX_NESTING_DEPTH + " levels";
        }
        if (message.contains("getMaxNumberLength")) {
            return "a JSON number is longer than " + MAX_NUMBER_LENGTH + " characters";
        }
        return "JSON exceeds a parser limit";
    }

    /** Jackson's message quotes the duplicated name (body content), so only its position is reported. */
    private static String malformed(JsonProcessingException e) {
        String what = String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")
                ? "duplicate key in a JSON object" : "malformed JSON";
        var location = e.getLocation();
        return location == null ? what : what + " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /**
     * 1e999999 is short and valid JSON but overflows to Infinity, silently, in every reader that uses doubles.
     * A clinical value that is not what the provider sent is refused, not stored. Iterative: depth is bounded above,
     * but the walk should not rely on it.
     */
    private static void requireFiniteNumbers(JsonNode body) {
        Deque<JsonNode> pending = new ArrayDeque<>();
        pending.push(body);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
                throw WebhookRejectedException.badRequest("a JSON number is out of range");
            }
            if (node.isContainerNode()) {
                node.forEach(pending::push);
            }
        }
    }
}
