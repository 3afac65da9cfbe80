package io.labhooks.delivery;

import java.util.Set;

import io.labhooks.config.LabhooksProperties;

/**
 * One active sink: its name (the route {@code direct:sink-<name>} that delivers to it), which canonical types it
 * takes, its retry schedule and its circuit breaker.
 */
public record Sink(String name, Set<String> types, Set<String> excludeTypes, LabhooksProperties.Retry retry,
                   LabhooksProperties.Circuit circuit) {

    public boolean accepts(String canonicalType) {
        return !excludeTypes.contains(canonicalType) && (types.contains("*") || types.contains(canonicalType));
    }
}
