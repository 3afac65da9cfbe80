package io.labhooks.console;

import java.security.SecureRandom;
import java.util.Base64;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** Signing in with the admin token and one's name, and signing out. */
@Controller
class SignInController {

    private final ConsoleSessions sessions;
    private final SecureRandom random = new SecureRandom();

    SignInController(ConsoleSessions sessions) {
        this.sessions = sessions;
    }

    @GetMapping({"/console", "/console/"})
    String home() {
        return "redirect:/console/overview";
    }

    @PublicPage
    @GetMapping("/console/sign-in")
    String signInPage(HttpServletRequest request, HttpServletResponse response, Model model) {
        model.addAttribute("signInToken", freshSignInToken(request, response));
        return "console/sign-in";
    }

    @PublicPage
    @PostMapping("/console/sign-in")
    String signIn(@RequestParam(defaultValue = "") String token, @RequestParam(defaultValue = "") String operator,
                  HttpServletRequest request, HttpServletResponse response, Model model) {
        if (operator.isBlank()) {
            return again(request, response, model, 400, "Give your name: it goes into the audit with everything you do.", operator);
        }
        return sessions.signIn(token.strip(), operator).map(session -> {
            response.addHeader("Set-Cookie", ConsoleGuard.sessionCookie(request, session).toString());
            response.addHeader("Set-Cookie", ConsoleGuard.cookie(request, ConsoleGuard.SIGN_IN_COOKIE, "", 0).toString());
            return "redirect:/console/overview";
        }).orElseGet(() -> again(request, response, model, 401, "That is not a current admin token.", operator));
    }

    @PostMapping("/console/sign-out")
    String signOut(HttpServletRequest request, HttpServletResponse response) {
        response.addHeader("Set-Cookie", ConsoleGuard.cookie(request, ConsoleGuard.SESSION_COOKIE, "", 0).toString());
        return "redirect:/console/sign-in?signedOut";
    }

    private String again(HttpServletRequest request, HttpServletResponse response, Model model, int status, String error,
                         String operator) {
        response.setStatus(status);
        model.addAttribute("error", error);
        model.addAttribute("operator", operator);
        model.addAttribute("signInToken", freshSignInToken(request, response));
        return "console/sign-in";
    }

    /** A one-off CSRF token for the sign-in form, in a cookie and the form (no session exists yet). */
    private String freshSignInToken(HttpServletRequest request, HttpServletResponse response) {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        String value = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        response.addHeader("Set-Cookie", ConsoleGuard.cookie(request, ConsoleGuard.SIGN_IN_COOKIE, value, 1800).toString());
        return value;
    }
}
