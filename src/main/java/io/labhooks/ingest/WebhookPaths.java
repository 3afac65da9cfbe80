package io.labhooks.ingest;

import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.springframework.stereotype.Component;

/** Which /webhooks/<provider> paths a provider route serves, as the routes that are running say. */
@Component
public class WebhookPaths {

    private final CamelContext camel;

    public WebhookPaths(CamelContext camel) {
        this.camel = camel;
    }

    public boolean served(String provider) {
        String path = "/webhooks/" + provider;
        return camel.getRoutes().stream()
                .anyMatch(route -> route.getEndpoint() instanceof PlatformHttpEndpoint http && path.equals(http.getPath()));
    }
}
