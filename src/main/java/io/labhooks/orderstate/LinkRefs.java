package io.labhooks.orderstate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.config.StartupRefusal;

/**
 * Reads the ids an event names its order by, from the fields labhooks.orders.link-refs lists per kind of id. A
 * field holding an array gives one id per element; blank ids, and ids longer than any provider issues (they do
 * not fit order_link), are left out.
 */
@Component
public class LinkRefs {

    /** order_link.ref_value's width. */
    static final int MAX_VALUE_LENGTH = 255;
    /** order_link.kind's width. */
    static final int MAX_KIND_LENGTH = 64;

    /** Kind -> the fields (each a path of names) holding ids of that kind. */
    private final Map<String, List<String[]>> fields = new LinkedHashMap<>();

    @Autowired
    public LinkRefs(LabhooksProperties properties) {
        this(properties.orders() == null || properties.orders().linkRefs() == null ? Map.of() : properties.orders().linkRefs());
    }

    LinkRefs(Map<String, List<String>> linkRefs) {
        linkRefs.forEach((kind, paths) -> {
            if (kind.isBlank() || kind.length() > MAX_KIND_LENGTH) {
                throw new StartupRefusal("labhooks.orders.link-refs has the kind '" + kind + "': a kind is 1 to "
                        + MAX_KIND_LENGTH + " characters", "rename it in application.yaml");
            }
            for (String path : paths == null ? List.<String>of() : paths) {
                String[] names = path.strip().split("\\.", -1);
                if (path.isBlank() || List.of(names).stream().anyMatch(String::isBlank)) {
                    throw new StartupRefusal("labhooks.orders.link-refs." + kind + " has the field '" + path
                            + "', which is not a dotted path such as refs.kitIds", "correct it in application.yaml");
                }
                fields.computeIfAbsent(kind, k -> new ArrayList<>()).add(names);
            }
        });
    }

    /** The event's ids, in the order of the setting; none when linking is not set up. */
    public Set<LinkRef> of(JsonNode event) {
        Set<LinkRef> refs = new LinkedHashSet<>();
        fields.forEach((kind, paths) -> {
            for (String[] path : paths) {
                JsonNode node = event;
                for (String name : path) {
                    node = node.path(name);
                }
                if (node.isArray()) {
                    node.forEach(element -> add(refs, kind, element));
                } else {
                    add(refs, kind, node);
                }
            }
        });
        return refs;
    }

    private static void add(Set<LinkRef> refs, String kind, JsonNode value) {
        if (value.isTextual() && !value.asText().isBlank() && value.asText().length() <= MAX_VALUE_LENGTH) {
            refs.add(new LinkRef(kind, value.asText()));
        }
    }
}
