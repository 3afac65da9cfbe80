package io.labhooks.fetch;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Starts one instance of the {@code provider-fetch} route template (routes/fetch.camel.yaml) per provider whose API
 * is configured. Done here rather than declared in YAML because which providers have an API is known only from the
 * environment ({@code <PROVIDER>_API_URL}).
 */
@Component
public class FetchPollers {

    private final CamelContext camel;
    private final ProviderApis apis;

    public FetchPollers(CamelContext camel, ProviderApis apis) {
        this.camel = camel;
        this.apis = apis;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        for (ProviderApi api : apis.all()) {
            TemplatedRouteBuilder.builder(camel, "provider-fetch")
                    .routeId("fetch-" + api.provider())
                    .parameter("provider", api.provider())
                    .add();
        }
    }
}
