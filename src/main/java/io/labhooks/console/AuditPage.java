package io.labhooks.console;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

import io.labhooks.admin.EventFilter;
import io.labhooks.admin.EventQueries;

/** The audit: who read a raw payload, retried, replayed or erased what, and when; newest first, paged by key. */
@Controller
class AuditPage {

    private final EventQueries queries;

    AuditPage(EventQueries queries) {
        this.queries = queries;
    }

    @GetMapping("/console/audit")
    String audit(@RequestParam(required = false) String operator, @RequestParam(required = false) String action,
                 @RequestParam(required = false) String from, @RequestParam(required = false) String to,
                 @RequestParam(required = false) Long before, Model model) {
        ListFilter filter = new ListFilter(null, null, null, null, from, to);
        EventFilter window = EventFilter.of(null, null, null, null, ListFilter.utc(from), ListFilter.utc(to), ListFilter.PAGE + 1);
        var rows = queries.audit(window, operator, action, before);
        ListFilter.Page page = ListFilter.Page.of(rows, "id", filter, "/console/audit");
        String older = page.older() == null ? null : page.older()
                + (operator == null || operator.isBlank() ? "" : "&operator=" + java.net.URLEncoder.encode(operator, java.nio.charset.StandardCharsets.UTF_8))
                + (action == null || action.isBlank() ? "" : "&action=" + java.net.URLEncoder.encode(action, java.nio.charset.StandardCharsets.UTF_8));
        model.addAttribute("rows", page.rows());
        model.addAttribute("older", older);
        model.addAttribute("operator", operator);
        model.addAttribute("action", action);
        model.addAttribute("from", from);
        model.addAttribute("to", to);
        return "console/audit";
    }
}
