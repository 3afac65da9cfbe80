package io.labhooks.normalise;

import org.apache.camel.CamelContext;
import org.apache.camel.component.jsonata.JsonataEndpoint;
import org.springframework.stereotype.Component;

/**
 * The JSONata mapping files as the normalise route reads them. Camel caches each file's content once read;
 * {@link #reload()} drops those caches so a fixed mapping is used from the next event on, without a restart.
 */
@Component
public class MappingFiles {

    private final CamelContext camel;

    public MappingFiles(CamelContext camel) {
        this.camel = camel;
    }

    /** Number of mapping endpoints whose cached content was dropped. */
    public int reload() {
        int reloaded = 0;
        for (var endpoint : camel.getEndpoints()) {
            if (endpoint instanceof JsonataEndpoint mapping) {
                mapping.clearContentCache();
                reloaded++;
            }
        }
        return reloaded;
    }
}
