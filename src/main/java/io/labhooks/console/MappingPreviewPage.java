package io.labhooks.console;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;

import io.labhooks.admin.AdminRequestException;
import io.labhooks.admin.AuditLog;
import io.labhooks.admin.EventQueries;

/**
 * A stored webhook run through its provider's current mapping file ({@link MappingPreview}), before a remap: the
 * canonical event it would make now next to the latest one recorded from it, and what differs. Writes nothing but
 * the audit line: no reason is asked, since the raw payload is decrypted only in memory and the page shows only
 * canonical events, which carry no patient data by design; the audit still says who ran which webhook through the
 * mapping, as for every console action that reads stored data.
 */
@Controller
class MappingPreviewPage {

    private final EventQueries queries;
    private final MappingPreview preview;
    private final AuditLog audit;

    MappingPreviewPage(EventQueries queries, MappingPreview preview, AuditLog audit) {
        this.queries = queries;
        this.preview = preview;
        this.audit = audit;
    }

    @PostMapping("/console/webhooks/{id}/preview")
    String preview(@PathVariable long id, @RequestAttribute(ConsoleGuard.SESSION) ConsoleSession session, Model model) {
        Map<String, Object> webhook = queries.inboundEvent(id, false); // a 404 for an unknown webhook, before the audit
        if (webhook.get("bodyPurgedAt") != null) {
            throw new AdminRequestException(409, "the raw payload of inbound event " + id
                    + " was purged after the retention period: there is nothing to map");
        }
        audit.record(session.actor(), "mapping-preview", "inbound event " + id,
                "ran the provider's current mapping file; nothing written");
        @SuppressWarnings("unchecked")
        List<String> made = (List<String>) webhook.get("canonicalEvents");
        String previousId = made.isEmpty() ? null : made.get(made.size() - 1);
        JsonNode previous = previousId == null ? null : (JsonNode) queries.canonicalEvent(previousId).get("event");
        model.addAttribute("webhook", webhook);
        model.addAttribute("preview", preview.preview(id, previousId, previous));
        model.addAttribute("decided", String.join(", ", MappingPreview.DECIDED_WHEN_RECORDED));
        return "console/mapping-preview";
    }
}
