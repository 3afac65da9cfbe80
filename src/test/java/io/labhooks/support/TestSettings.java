package io.labhooks.support;

import io.labhooks.config.LabhooksProperties;

/** Settings for tests that build a component by hand: only the mapping bounds' part, the rest left out. */
public final class TestSettings {

    private TestSettings() {
    }

    /** Mapping bounds of 2000 ms and depth 200, as application.yaml has them. */
    public static LabhooksProperties mappingBounds() {
        return mappingBounds(2000, 200);
    }

    public static LabhooksProperties mappingBounds(long timeoutMs, int maxDepth) {
        return new LabhooksProperties("routes", "mappings", null,
                new LabhooksProperties.Pipeline(100, 10, 60, 5, timeoutMs, maxDepth), null, null, null, null, null);
    }
}
