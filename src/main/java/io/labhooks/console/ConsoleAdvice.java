package io.labhooks.console;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.servlet.ModelAndView;

import io.labhooks.admin.AdminRequestException;

/** The console's answers when it will not or cannot do what was asked: a page with the status and one line why. */
@ControllerAdvice(basePackageClasses = ConsoleAdvice.class)
class ConsoleAdvice {

    /** Every page knows who is signed in (null on the sign-in page), for the header and the forms' CSRF token. */
    @ModelAttribute("signedIn")
    ConsoleSession signedIn(HttpServletRequest request) {
        return (ConsoleSession) request.getAttribute(ConsoleGuard.SESSION);
    }

    @ExceptionHandler(ConsoleRefusal.class)
    ModelAndView refused(ConsoleRefusal refusal, HttpServletRequest request, HttpServletResponse response) {
        switch (refusal.kind()) {
            case OFF -> {
                response.setStatus(503);
                return new ModelAndView("console/off");
            }
            case NOT_SIGNED_IN -> {
                if ("GET".equals(request.getMethod()) && request.getHeader(ConsoleGuard.CSRF_HEADER) == null
                        && request.getHeader("X-Requested-With") == null) {
                    return new ModelAndView("redirect:/console/sign-in");
                }
                return problem(response, 401, refusal.getMessage());
            }
            default -> {
                return problem(response, 403, refusal.getMessage());
            }
        }
    }

    @ExceptionHandler(AdminRequestException.class)
    ModelAndView cannot(AdminRequestException refused, HttpServletResponse response) {
        return problem(response, refused.status(), refused.getMessage());
    }

    @ExceptionHandler(org.springframework.dao.DataAccessException.class)
    ModelAndView databaseFailed(HttpServletResponse response) {
        return problem(response, 500, "the database could not complete the request; nothing was changed");
    }

    @ExceptionHandler({org.springframework.web.method.annotation.MethodArgumentTypeMismatchException.class,
            org.springframework.web.bind.MissingServletRequestParameterException.class})
    ModelAndView unreadable(HttpServletResponse response) {
        return problem(response, 400, "the request could not be read: check the form's fields");
    }

    private static ModelAndView problem(HttpServletResponse response, int status, String reason) {
        response.setStatus(status);
        ModelAndView page = new ModelAndView("console/problem");
        page.addObject("status", status);
        page.addObject("reason", reason);
        return page;
    }
}
