package io.labhooks.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;

import io.labhooks.admin.AdminRequestException;
import io.labhooks.admin.EventQueries;
import io.labhooks.admin.Replays;

/**
 * Dead letters grouped by sink and last error (one cause, one group), retryable one by one or a whole group at
 * once; each retry audited as the API's is.
 */
@Controller
class DeadLetterPage {

    static final int MOST = 1000;

    record Group(String sink, String lastError, List<Map<String, Object>> deliveries) {
    }

    private final EventQueries queries;
    private final Replays replays;

    DeadLetterPage(EventQueries queries, Replays replays) {
        this.queries = queries;
        this.replays = replays;
    }

    @GetMapping("/console/dead-letters")
    String deadLetters(@RequestParam(required = false) String sink, @RequestParam(required = false) Long retried,
                       @RequestParam(required = false) Integer retriedGroup, Model model) {
        List<Map<String, Object>> dead = queries.deliveries("DEAD", sink == null || sink.isBlank() ? null : sink, MOST);
        Map<List<String>, List<Map<String, Object>>> grouped = dead.stream().collect(Collectors.groupingBy(
                d -> java.util.Arrays.asList((String) d.get("sink"), String.valueOf(d.get("lastError"))),
                LinkedHashMap::new, Collectors.toList()));
        model.addAttribute("groups", grouped.entrySet().stream()
                .map(e -> new Group(e.getKey().get(0), e.getKey().get(1), e.getValue())).toList());
        model.addAttribute("total", dead.size());
        model.addAttribute("cut", dead.size() >= MOST);
        model.addAttribute("sink", sink);
        model.addAttribute("retried", retried);
        model.addAttribute("retriedGroup", retriedGroup);
        return "console/dead-letters";
    }

    @PostMapping("/console/deliveries/{id}/retry")
    String retry(@PathVariable long id, @RequestAttribute(ConsoleGuard.SESSION) ConsoleSession session) {
        replays.retry(id, session.actor());
        return "redirect:/console/dead-letters?retried=" + id;
    }

    /**
     * Retries every dead delivery of one group, as the server finds it now (the form names the group, not its
     * rows); one that is no longer dead, or is being attempted, is left as it is.
     */
    @PostMapping("/console/dead-letters/retry-group")
    String retryGroup(@RequestParam String sink, @RequestParam String lastError,
                      @RequestAttribute(ConsoleGuard.SESSION) ConsoleSession session) {
        int retried = 0;
        for (Map<String, Object> delivery : queries.deliveries("DEAD", sink, MOST)) {
            if (lastError.equals(String.valueOf(delivery.get("lastError")))) {
                try {
                    replays.retry(((Number) delivery.get("id")).longValue(), session.actor());
                    retried++;
                } catch (AdminRequestException e) {
                    // delivered or being attempted since the page was read: nothing to retry
                }
            }
        }
        return "redirect:/console/dead-letters?sink=" + URLEncoder.encode(sink, StandardCharsets.UTF_8)
                + "&retriedGroup=" + retried;
    }
}
