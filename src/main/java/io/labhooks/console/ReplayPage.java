package io.labhooks.console;

import java.util.Map;
import java.util.Objects;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;

import io.labhooks.admin.AdminRequestException;
import io.labhooks.admin.EventFilter;
import io.labhooks.admin.EventQueries;
import io.labhooks.admin.Replays;
import io.labhooks.delivery.Sink;
import io.labhooks.delivery.SinkCatalog;

/**
 * Bulk replay by filter, never in one click: a dry run shows how many events match and a sample of them; the real
 * run needs that count typed in, and is refused if the count has changed since (counted again just before).
 */
@Controller
class ReplayPage {

    static final int SAMPLE = 10;

    private final Replays replays;
    private final EventQueries queries;
    private final SinkCatalog sinks;

    ReplayPage(Replays replays, EventQueries queries, SinkCatalog sinks) {
        this.replays = replays;
        this.queries = queries;
        this.sinks = sinks;
    }

    @GetMapping("/console/replays")
    String form(@ModelAttribute("filter") ListFilter filter, Model model) {
        model.addAttribute("sinks", sinks.active().stream().map(Sink::name).toList());
        return "console/replays";
    }

    @PostMapping("/console/replays/dry-run")
    String dryRun(@RequestParam String action, @RequestParam(required = false) String sink,
                  @ModelAttribute("filter") ListFilter filter, @RequestAttribute(ConsoleGuard.SESSION) ConsoleSession session,
                  Model model) {
        Map<String, Object> counted = run(action, sink, filter, true, session);
        EventFilter sample = EventFilter.of(filter.provider(), filter.type(), filter.order(), filter.status(),
                ListFilter.utc(filter.from()), ListFilter.utc(filter.to()), SAMPLE);
        model.addAttribute("action", action);
        model.addAttribute("sink", sink);
        model.addAttribute("counted", counted);
        model.addAttribute("filterFields", filter.values());
        model.addAttribute("remap", "remap".equals(action));
        model.addAttribute("sample", "remap".equals(action) ? queries.inboundEvents(sample) : queries.canonicalEvents(sample));
        return "console/replay-dry-run";
    }

    @PostMapping("/console/replays")
    String replay(@RequestParam String action, @RequestParam(required = false) String sink,
                  @RequestParam(defaultValue = "") String confirmCount, @ModelAttribute("filter") ListFilter filter,
                  @RequestAttribute(ConsoleGuard.SESSION) ConsoleSession session, Model model) {
        Object now = run(action, sink, filter, true, session).get("matched");
        if (!Objects.equals(String.valueOf(now), confirmCount.strip())) {
            throw new AdminRequestException(409, "the filter matches " + now + " event(s) now, not the " + confirmCount.strip()
                    + " you confirmed: run the dry run again");
        }
        model.addAttribute("action", action);
        model.addAttribute("sink", sink);
        model.addAttribute("result", run(action, sink, filter, false, session));
        return "console/replay-done";
    }

    private Map<String, Object> run(String action, String sink, ListFilter filter, boolean dryRun, ConsoleSession session) {
        EventFilter events = EventFilter.of(filter.provider(), filter.type(), filter.order(), filter.status(),
                ListFilter.utc(filter.from()), ListFilter.utc(filter.to()), null);
        return switch (action) {
            case "redeliver" -> replays.redeliver(sink, events, dryRun, session.actor());
            case "remap" -> replays.remap(events, dryRun, session.actor());
            default -> throw new AdminRequestException(400, "action must be redeliver or remap");
        };
    }
}
