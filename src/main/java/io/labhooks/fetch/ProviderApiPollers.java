package io.labhooks.fetch;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Starts, per provider whose API is configured, one instance of the {@code provider-fetch} route template
 * (routes/fetch.camel.yaml) when it fetches on notify, and one of {@code provider-poll} (routes/poll.camel.yaml)
 * when it polls. Done here rather than declared in YAML because which providers have an API is known only from the
 * environment ({@code <PROVIDER>_API_URL}).
 */
@Component
public class ProviderApiPollers {

    private final CamelContext camel;
    private final ProviderApis apis;

    public ProviderApiPollers(CamelContext camel, ProviderApis apis) {
        this.camel = camel;
        this.apis = apis;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        for (ProviderApi api : apis.all()) {
            if (!api.settings().fetch().resources().isEmpty()) {
                TemplatedRouteBuilder.builder(camel, "provider-fetch").routeId("fetch-" + api.provider())
                        .parameter("provider", api.provider()).add();
            }
            if (!api.settings().poll().resources().isEmpty()) {
                TemplatedRouteBuilder.builder(camel, "provider-poll").routeId("poll-" + api.provider())
                        .parameter("provider", api.provider()).add();
            }
        }
    }
}
