package io.labhooks.console;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;

import io.labhooks.admin.AdminRequestException;
import io.labhooks.admin.EventQueries;
import io.labhooks.admin.OrderErasure;

/**
 * "Where is order X and what happened to it?": found by the clinic's externalOrderId, a provider's order or event
 * id, or the order key. One timeline of every matching order's events, across providers, in the order they
 * arrived, with out-of-order arrivals and revisions marked, and every delivery of them per sink. Erasure, with the
 * order key typed in to confirm.
 */
@Controller
class OrderPage {

    /** Beyond this many events the page shows the newest and says so. */
    static final int MOST_EVENTS = 200;

    record TimelineEntry(Map<String, Object> event, int revision, String supersedes, List<Map<String, Object>> deliveries) {
    }

    record Delivery(String sink, String eventId, String type, Map<String, Object> delivery) {
    }

    private final EventQueries queries;
    private final OrderErasure erasure;

    OrderPage(EventQueries queries, OrderErasure erasure) {
        this.queries = queries;
        this.erasure = erasure;
    }

    @PostMapping("/console/orders/erase")
    String erase(@RequestParam String orderKey, @RequestParam(defaultValue = "") String confirmKey,
                 @RequestAttribute(ConsoleGuard.SESSION) ConsoleSession session, Model model) {
        if (!orderKey.equals(confirmKey.strip())) {
            throw new AdminRequestException(400, "type the order key exactly to erase it; nothing was erased");
        }
        model.addAttribute("erased", erasure.erase(orderKey, session.actor()));
        return "console/erased";
    }

    @GetMapping("/console/orders")
    String order(@RequestParam(required = false) String q, Model model) {
        model.addAttribute("q", q);
        if (q == null || q.isBlank()) {
            return "console/order";
        }
        List<String> keys = queries.orderKeysMatching(q.strip());
        List<Map<String, Object>> states = new ArrayList<>();
        List<Map<String, Object>> history = new ArrayList<>();
        for (String key : keys) {
            Map<String, Object> order = queries.order(key);
            if (order.get("state") != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> state = (Map<String, Object>) order.get("state");
                states.add(state);
            }
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> events = (List<Map<String, Object>>) order.get("history");
            history.addAll(events);
        }
        history.sort(Comparator.comparingLong(e -> ((Number) e.get("seq")).longValue()));
        boolean cut = history.size() > MOST_EVENTS;
        List<Map<String, Object>> shown = cut ? history.subList(history.size() - MOST_EVENTS, history.size()) : history;
        List<TimelineEntry> timeline = new ArrayList<>();
        List<Delivery> deliveries = new ArrayList<>();
        for (Map<String, Object> row : shown) {
            Map<String, Object> detail = queries.canonicalEvent((String) row.get("eventId"));
            JsonNode event = (JsonNode) detail.get("event");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> sent = (List<Map<String, Object>>) detail.get("deliveries");
            timeline.add(new TimelineEntry(row, event.path("revision").asInt(1), event.path("supersedesEventId").asText(null), sent));
            sent.forEach(d -> deliveries.add(new Delivery((String) d.get("sink"), (String) row.get("eventId"), (String) row.get("type"), d)));
        }
        deliveries.sort(Comparator.comparing(Delivery::sink));
        model.addAttribute("keys", keys);
        model.addAttribute("states", states);
        model.addAttribute("timeline", timeline);
        model.addAttribute("deliveries", deliveries);
        model.addAttribute("cut", cut);
        return "console/order";
    }
}
