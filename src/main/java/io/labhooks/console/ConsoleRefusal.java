package io.labhooks.console;

/** Why the console will not serve a request: off, not signed in, or a state change without its CSRF token. */
class ConsoleRefusal extends RuntimeException {

    enum Kind { OFF, NOT_SIGNED_IN, FORBIDDEN }

    private final Kind kind;

    ConsoleRefusal(Kind kind, String reason) {
        super(reason, null, false, false);
        this.kind = kind;
    }

    Kind kind() {
        return kind;
    }
}
