package io.labhooks.console;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** The overview page, and its figures alone for the page's script to refresh them every few seconds. */
@Controller
class OverviewController {

    private final ConsoleOverview overview;

    OverviewController(ConsoleOverview overview) {
        this.overview = overview;
    }

    @GetMapping("/console/overview")
    String overview(Model model) {
        model.addAttribute("figures", overview.figures());
        return "console/overview";
    }

    @GetMapping("/console/overview/figures")
    String figures(Model model) {
        model.addAttribute("figures", overview.figures());
        return "console/overview :: figures";
    }
}
