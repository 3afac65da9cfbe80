package io.labhooks.config;

/**
 * A setting the box cannot run with safely. Thrown while the box starts, before it takes any webhook, and shown by
 * {@link StartupRefusalAnalyzer} as one reason and one action instead of a stack trace. Messages name settings
 * and paths, never secret values.
 */
public class StartupRefusal extends RuntimeException {

    private final String action;

    public StartupRefusal(String reason, String action) {
        super(reason);
        this.action = action;
    }

    public String action() {
        return action;
    }
}
