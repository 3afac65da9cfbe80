package io.labhooks.delivery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;

/**
 * The sinks switched on in application.yaml: HTTP when a URL is set, email when an SMTP host is set, JDBC unless
 * turned off. A sink that is switched on but cannot work (HTTP without a signing secret, email without a
 * recipient) stops the box at startup with the variable to set, rather than failing every delivery later.
 */
@Component
public class SinkCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(SinkCatalog.class);

    private final List<Sink> active = new ArrayList<>();

    public SinkCatalog(LabhooksProperties properties) {
        LabhooksProperties.Sinks sinks = properties.sinks();
        if (!isBlank(sinks.http().url())) {
            require(sinks.http().secret(), "LABHOOKS_HTTP_SINK_SECRET must be set (whsec_<base64>) when LABHOOKS_HTTP_SINK_URL is");
            active.add(new Sink("http", set(sinks.http().types()), set(sinks.http().excludeTypes()), sinks.http().retry(),
                    sinks.http().circuit()));
        }
        if (sinks.jdbc().enabled()) {
            active.add(new Sink("jdbc", set(sinks.jdbc().types()), set(sinks.jdbc().excludeTypes()), sinks.jdbc().retry(),
                    sinks.jdbc().circuit()));
        }
        if (!isBlank(sinks.email().host())) {
            require(sinks.email().to(), "LABHOOKS_SMTP_TO must be set when LABHOOKS_SMTP_HOST is");
            active.add(new Sink("email", set(sinks.email().types()), set(sinks.email().excludeTypes()), sinks.email().retry(),
                    sinks.email().circuit()));
        }
        if (active.isEmpty()) {
            LOG.info("Active sinks: none (events are stored but not delivered)");
        }
        for (Sink sink : active) {
            LOG.info("Sink {} is active: up to {} attempts over about {} h, then DEAD", sink.name(),
                    sink.retry().maxAttempts(), Math.round(sink.retry().totalSchedule().toMinutes() / 6.0) / 10.0);
        }
    }

    public List<Sink> active() {
        return List.copyOf(active);
    }

    /**
     * What decides which deliveries an event gets: each active sink's name and types, in name order. Every box on
     * one database must have the same ({@link io.labhooks.instances.BoxRegistry}).
     */
    public String signature() {
        if (active.isEmpty()) {
            return "none";
        }
        return active.stream().sorted(java.util.Comparator.comparing(Sink::name))
                .map(s -> s.name() + " (types " + String.join(",", new java.util.TreeSet<>(s.types()))
                        + (s.excludeTypes().isEmpty() ? "" : ", except " + String.join(",", new java.util.TreeSet<>(s.excludeTypes())))
                        + ")")
                .collect(java.util.stream.Collectors.joining("; "));
    }

    public Optional<Sink> named(String name) {
        return active.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    private static Set<String> set(Collection<String> values) {
        Set<String> set = new LinkedHashSet<>();
        if (values != null) {
            values.stream().map(String::trim).filter(v -> !v.isEmpty()).forEach(set::add);
        }
        return set;
    }

    private static void require(String value, String message) {
        if (isBlank(value)) {
            throw new IllegalStateException(message);
        }
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
