package io.labhooks.console;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.springframework.stereotype.Component;

import io.labhooks.event.EventExchange;
import io.labhooks.normalise.CanonicalEvents;
import io.labhooks.normalise.InboundEventQueue;
import io.labhooks.normalise.MappingFiles;

/**
 * The canonical event a stored webhook would make now: its body read and decrypted as the normaliser reads it, mapped
 * with the provider's current mapping file, completed and validated against the canonical schema by the normaliser's
 * own steps, on an exchange of its own that goes to no route. Nothing is written. Compared with the event recorded
 * before (its latest revision) path by path, leaving out the fields decided when an event is recorded.
 */
@Component
class MappingPreview {

    /** The normalise route's validation step (routes/normalise.camel.yaml). */
    static final String VALIDATOR = "json-validator:schema/canonical-event.schema.json";
    /** Set when the event is recorded (revision, order state), not by the mapping: never compared. */
    static final List<String> DECIDED_WHEN_RECORDED = List.of("eventId", "revision", "supersedesEventId", "outOfOrder",
            "order.status");
    private static final int LONGEST_ERROR = 500;
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** One JSON path whose value differs; values as JSON text. */
    record Difference(String path, String change, String before, String after) {
    }

    /**
     * What the preview found: the mapping file's name; why its content on disk is refused, if it is (the version in
     * use was run); the one-line error if the mapping failed, else the event it would make and how it differs from
     * the one recorded before, when there is one.
     */
    record Result(String mapping, String refusal, String error, String event, String previousEventId, String previous,
                  List<Difference> differences) {
    }

    private final CamelContext camel;
    private final ProducerTemplate producer;
    private final InboundEventQueue inbound;
    private final MappingFiles mappings;
    private final CanonicalEvents canonical;
    private final ObjectMapper json;

    MappingPreview(CamelContext camel, ProducerTemplate producer, InboundEventQueue inbound, MappingFiles mappings,
                   CanonicalEvents canonical, ObjectMapper json) {
        this.camel = camel;
        this.producer = producer;
        this.inbound = inbound;
        this.mappings = mappings;
        this.canonical = canonical;
        this.json = json;
    }

    /** The preview of stored webhook {@code id} (its body not purged), against the event recorded before, if any. */
    Result preview(long id, String previousEventId, JsonNode previous) {
        Exchange exchange = new DefaultExchange(camel);
        String mapping = null;
        String refusal = null;
        try {
            byte[] body = inbound.read(id, exchange);
            mapping = exchange.getProperty(EventExchange.MAPPING, String.class);
            refusal = mappings.refusalNow(mapping).orElse(null);
            exchange.getMessage().setBody(body);
            mappings.map(exchange);
            canonical.complete(exchange);
            Exchange validated = producer.send(VALIDATOR, exchange);
            if (validated.getException() != null) {
                throw validated.getException();
            }
            ObjectNode event = (ObjectNode) json.readTree(validated.getMessage().getBody(String.class));
            for (String field : List.of("eventId", "revision", "supersedesEventId", "outOfOrder")) {
                event.remove(field); // shown with the recorded event only: a remap decides them anew
            }
            List<Difference> differences = previous == null ? List.of() : differences(previous, event);
            return new Result(mapping, refusal, null, pretty(event), previousEventId, previous == null ? null : pretty(previous),
                    differences);
        } catch (Exception failed) {
            return new Result(mapping, refusal, oneLine(failed), null, previousEventId,
                    previous == null ? null : pretty(previous), List.of());
        }
    }

    /** Every path added, removed or changed from before to after, but those decided when recorded. */
    static List<Difference> differences(JsonNode before, JsonNode after) {
        List<Difference> found = new ArrayList<>();
        compare("", before, after, found);
        return found;
    }

    private static void compare(String path, JsonNode before, JsonNode after, List<Difference> found) {
        if (DECIDED_WHEN_RECORDED.contains(path)) {
            return;
        }
        if (before == null || before.isMissingNode()) {
            found.add(new Difference(path, "added", null, after.toString()));
        } else if (after == null || after.isMissingNode()) {
            found.add(new Difference(path, "removed", before.toString(), null));
        } else if (before.isObject() && after.isObject()) {
            Set<String> names = new LinkedHashSet<>();
            before.fieldNames().forEachRemaining(names::add);
            after.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                compare(child(path, name), before.get(name), after.get(name), found);
            }
        } else if (before.isArray() && after.isArray()) {
            for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
                compare(path + "[" + i + "]", before.get(i), after.get(i), found);
            }
        } else if (!before.equals(after)) {
            found.add(new Difference(path, "changed", before.toString(), after.toString()));
        }
    }

    private static String child(String path, String name) {
        if (PLAIN_NAME.matcher(name).matches()) {
            return path.isEmpty() ? name : path + "." + name;
        }
        return path + "[" + JsonNodeFactory.instance.textNode(name) + "]";
    }

    private String pretty(JsonNode value) {
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As the normaliser records a failure (class and message), on one line and bounded: never a stack trace. */
    static String oneLine(Throwable failed) {
        Throwable shown = failed.getMessage() == null && failed.getCause() != null ? failed.getCause() : failed;
        String line = (shown.getClass().getSimpleName() + ": " + Optional.ofNullable(shown.getMessage()).orElse("no message"))
                .replaceAll(":\\s*[\\r\\n]+\\s*", ": ").replaceAll("\\s*[\\r\\n]+\\s*", "; ")
                .replaceAll("\\[[^\\]\\[]{60,}]", "[…]") // e.g. the schema's list of every canonical type
                .strip();
        return line.length() > LONGEST_ERROR ? line.substring(0, LONGEST_ERROR) + "…" : line;
    }
}
