package io.labhooks.console;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;

import io.labhooks.admin.AdminRequestException;
import io.labhooks.admin.AuditLog;
import io.labhooks.admin.EventQueries;

/**
 * Stored webhooks and canonical events: the lists with the API's filters, paged by key, and their detail pages.
 * A raw payload is shown only after a POST that gives a reason, written to the audit first.
 */
@Controller
class EventPages {

    private final EventQueries queries;
    private final AuditLog audit;
    private final ObjectMapper json;

    EventPages(EventQueries queries, AuditLog audit, ObjectMapper json) {
        this.queries = queries;
        this.audit = audit;
        this.json = json;
    }

    @GetMapping("/console/webhooks")
    String webhooks(@ModelAttribute("filter") ListFilter filter, @RequestParam(required = false) Long before, Model model) {
        model.addAttribute("page", ListFilter.Page.of(queries.inboundEvents(filter.toEventFilter(), before), "id", filter,
                "/console/webhooks"));
        model.addAttribute("before", before);
        return "console/webhooks";
    }

    @GetMapping("/console/webhooks/{id}")
    String webhook(@PathVariable long id, Model model) {
        return webhookPage(id, false, model);
    }

    @PostMapping("/console/webhooks/{id}/raw")
    String rawWebhook(@PathVariable long id, @RequestParam(defaultValue = "") String reason,
                      @RequestAttribute(ConsoleGuard.SESSION) ConsoleSession session, Model model) {
        if (reason.isBlank()) {
            throw new AdminRequestException(400, "say why you need the raw payload: the reason goes into the audit");
        }
        queries.inboundEvent(id, false); // a 404 for an unknown webhook, before anything is audited
        audit.record(session.actor(), "read-raw-payload", "inbound event " + id, "reason: " + reason.strip());
        return webhookPage(id, true, model);
    }

    @GetMapping("/console/events")
    String events(@ModelAttribute("filter") ListFilter filter, @RequestParam(required = false) Long before, Model model) {
        model.addAttribute("page", ListFilter.Page.of(queries.canonicalEvents(filter.toEventFilter(), before), "seq", filter,
                "/console/events"));
        model.addAttribute("before", before);
        return "console/events";
    }

    @GetMapping("/console/events/{eventId}")
    String event(@PathVariable String eventId, Model model) {
        Map<String, Object> event = queries.canonicalEvent(eventId);
        model.addAttribute("event", event);
        model.addAttribute("eventJson", pretty(event.get("event")));
        return "console/event";
    }

    private String webhookPage(long id, boolean raw, Model model) {
        Map<String, Object> webhook = queries.inboundEvent(id, raw);
        @SuppressWarnings("unchecked")
        List<String> made = (List<String>) webhook.get("canonicalEvents");
        model.addAttribute("webhook", webhook);
        model.addAttribute("raw", raw);
        model.addAttribute("payloadJson", webhook.get("payload") == null ? null : pretty(webhook.get("payload")));
        model.addAttribute("canonical", made.stream().map(queries::canonicalEvent).toList());
        return "console/webhook";
    }

    private String pretty(Object value) {
        try {
            return value instanceof String text ? text : json.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
