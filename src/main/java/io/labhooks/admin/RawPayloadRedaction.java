package io.labhooks.admin;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;

/**
 * Redacts a provider's raw payload for display: the structure stays, and only the values of fields named in
 * labhooks.admin.raw-payload-visible-fields (event types, ids, statuses, times) are shown. Everything else is
 * "[redacted]". Default-deny, because providers add patient fields without notice.
 */
@Component
public class RawPayloadRedaction {

    static final TextNode REDACTED = TextNode.valueOf("[redacted]");

    private final Set<String> visible;

    public RawPayloadRedaction(LabhooksProperties properties) {
        List<String> fields = properties.admin() == null || properties.admin().rawPayloadVisibleFields() == null
                ? List.of() : properties.admin().rawPayloadVisibleFields();
        this.visible = fields.stream().map(String::trim).filter(f -> !f.isEmpty()).collect(Collectors.toSet());
    }

    public JsonNode redact(JsonNode payload) {
        return redact(payload, false);
    }

    private JsonNode redact(JsonNode node, boolean visibleField) {
        if (node.isObject()) {
            ObjectNode copy = ((ObjectNode) node).objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                copy.set(field.getKey(), redact(field.getValue(), visible.contains(field.getKey())));
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = ((ArrayNode) node).arrayNode();
            node.forEach(element -> copy.add(redact(element, visibleField)));
            return copy;
        }
        return visibleField || node.isNull() ? node : REDACTED;
    }
}
