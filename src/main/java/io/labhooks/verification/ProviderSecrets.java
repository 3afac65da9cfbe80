package io.labhooks.verification;

import java.util.Arrays;
import java.util.List;

import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import io.labhooks.ingest.WebhookRejectedException;

/**
 * Reads a provider's secrets from the environment variable its route names. One variable may carry several
 * values separated by spaces or commas: all are accepted at once, so a secret can be rotated without downtime.
 */
@Component
public class ProviderSecrets {

    private final Environment environment;

    public ProviderSecrets(Environment environment) {
        this.environment = environment;
    }

    /** The values of the variable, or 503 naming the variable to set. */
    public List<String> require(String provider, String variable) {
        String value = environment.getProperty(variable, "");
        List<String> secrets = Arrays.stream(value.split("[\\s,]+")).filter(s -> !s.isEmpty()).toList();
        if (secrets.isEmpty()) {
            throw WebhookRejectedException.notConfigured(
                    "provider '" + provider + "' is not configured: set " + variable);
        }
        return secrets;
    }
}
