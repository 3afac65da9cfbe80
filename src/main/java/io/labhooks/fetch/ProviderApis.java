package io.labhooks.fetch;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.config.StartupRefusal;

/**
 * The provider read APIs this box may call, read once at startup: every {@code <provider>.api.yaml} under the routes
 * folder's {@code providers/}, switched on by {@code <PROVIDER>_API_URL} with its keys in {@code <PROVIDER>_API_KEY}
 * (several, separated by spaces or commas, while one is rotated). Without the URL the provider works from its
 * webhooks alone, as before. A file that does not bind, or a URL without a key, stops the box with one line.
 */
@Component
public class ProviderApis {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderApis.class);
    static final String SUFFIX = ".api.yaml";

    private final Map<String, ProviderApi> apis = new TreeMap<>();
    private final Optional<Duration> reconcileInterval;

    public ProviderApis(LabhooksProperties properties, Environment environment, Clock clock) {
        String interval = environment.getProperty("LABHOOKS_RECONCILE_INTERVAL", "").trim();
        try {
            reconcileInterval = interval.isEmpty() ? Optional.empty() : Optional.of(DurationStyle.detectAndParse(interval));
        } catch (IllegalArgumentException e) {
            throw new StartupRefusal("LABHOOKS_RECONCILE_INTERVAL is not a duration: '" + interval + "'",
                    "set LABHOOKS_RECONCILE_INTERVAL to a duration such as 10s, or unset it");
        }
        Path dir = Path.of(properties.routesDir(), "providers");
        for (Path file : files(dir, SUFFIX)) {
            String provider = file.getFileName().toString().replace(SUFFIX, "");
            ProviderApiSettings settings = read(file);
            String variable = provider.toUpperCase(Locale.ROOT).replace('-', '_');
            String urlVariable = variable + "_API_URL";
            String keyVariable = variable + "_API_KEY";
            String url = environment.getProperty(urlVariable, "").trim();
            if (url.isEmpty()) {
                LOG.info("Provider {}: {} is not set, so its API is not called (webhooks alone)", provider, urlVariable);
                continue;
            }
            List<String> keys = Arrays.stream(environment.getProperty(keyVariable, "").split("[\\s,]+"))
                    .filter(k -> !k.isEmpty()).toList();
            if (keys.isEmpty()) {
                throw new StartupRefusal(urlVariable + " is set but " + keyVariable + " is not",
                        "set " + keyVariable + " to the provider's API key, or unset " + urlVariable);
            }
            apis.put(provider, new ProviderApi(provider, baseUrl(urlVariable, url), urlVariable, keyVariable, keys,
                    settings, clock));
            LOG.info("Provider {}: API at {} ({} resource(s) fetched on notify, {} polled, at most {} call(s) per {})",
                    provider, baseUrl(urlVariable, url), settings.fetch().resources().size(),
                    settings.poll().resources().size(), settings.rateLimit().requests(), settings.rateLimit().per());
        }
        for (Path route : files(dir, ".camel.yaml")) {
            String provider = route.getFileName().toString().replace(".camel.yaml", "");
            String urlVariable = provider.toUpperCase(Locale.ROOT).replace('-', '_') + "_API_URL";
            if (!apis.containsKey(provider) && !environment.getProperty(urlVariable, "").isBlank()
                    && !Files.exists(dir.resolve(provider + SUFFIX))) {
                LOG.warn("{} is set but {} does not exist, so the {} API is not called", urlVariable,
                        dir.resolve(provider + SUFFIX), provider);
            }
        }
        reconcileInterval.ifPresent(every -> LOG.info("LABHOOKS_RECONCILE_INTERVAL: every open order is polled every {}", every));
    }

    /** How often an open order's resource is polled: LABHOOKS_RECONCILE_INTERVAL when set, else the resource's own. */
    public Duration cadence(ProviderApiSettings.PolledResource resource) {
        return reconcileInterval.orElse(resource.every());
    }

    /** The mapping polled snapshots of the provider are mapped with. */
    public String mapping(ProviderApi api) {
        String mapping = api.settings().mapping();
        return mapping == null || mapping.isBlank() ? api.provider() + ".jsonata" : mapping;
    }

    /** The provider's API, when its URL is set. */
    public Optional<ProviderApi> of(String provider) {
        return Optional.ofNullable(apis.get(provider));
    }

    /** Every provider API that is configured. */
    public java.util.Collection<ProviderApi> all() {
        return apis.values();
    }

    /** Whether a webhook of this provider and type waits for resources fetched from the provider's API. */
    public boolean fetchesOn(String provider, String eventType) {
        ProviderApi api = apis.get(provider);
        return api != null && !api.resourcesFor(eventType).isEmpty();
    }

    private static List<Path> files(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> listed = Files.list(dir)) {
            return listed.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new StartupRefusal("cannot list " + dir + ": " + e.getMessage(), "make the routes folder readable");
        }
    }

    static ProviderApiSettings read(Path file) {
        List<PropertySource<?>> sources;
        try {
            sources = new YamlPropertySourceLoader().load(file.toString(), new FileSystemResource(file));
        } catch (IOException | RuntimeException e) {
            throw refusal(file, "is not readable YAML: " + firstLine(e.getMessage()));
        }
        ProviderApiSettings settings;
        try {
            settings = new Binder(ConfigurationPropertySources.from(sources))
                    .bind(ConfigurationPropertyName.EMPTY, Bindable.of(ProviderApiSettings.class),
                            new NoUnboundElementsBindHandler(BindHandler.DEFAULT))
                    .orElseThrow(() -> refusal(file, "is empty"));
        } catch (BindException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String where = e.getProperty() != null ? e.getProperty().getName().toString() : e.getName().toString();
            String why = cause instanceof UnboundConfigurationPropertiesException unknown
                    ? "unknown setting(s) " + unknown.getUnboundProperties().stream().map(p -> p.getName().toString()).sorted().toList().toString()
                    : firstLine(cause.getMessage());
            throw refusal(file, "does not bind" + (where.isEmpty() ? "" : " at '" + where + "'") + ": " + why);
        }
        validate(file, settings);
        return settings;
    }

    private static void validate(Path file, ProviderApiSettings settings) {
        if (settings.auth() == null || blank(settings.auth().header())) {
            throw refusal(file, "needs auth.header (the header carrying the API key)");
        }
        if (!settings.auth().value().contains("{key}")) {
            throw refusal(file, "auth.value must contain {key}, where the API key goes");
        }
        if (settings.rateLimit() == null || settings.rateLimit().requests() < 1 || settings.rateLimit().per() == null
                || settings.rateLimit().per().compareTo(Duration.ofMillis(1)) < 0) {
            throw refusal(file, "needs rate-limit.requests (at least 1) and rate-limit.per (a duration such as 1s)");
        }
        if (settings.timeout().isNegative() || settings.timeout().isZero()) {
            throw refusal(file, "timeout must be a positive duration");
        }
        if (settings.fetch() == null) {
            throw refusal(file, "needs a fetch block (fetch.resources may be empty)");
        }
        Set<String> names = new HashSet<>();
        for (ProviderApiSettings.Resource resource : settings.fetch().resources()) {
            String label = "fetch resource '" + resource.name() + "'";
            if (blank(resource.name()) || !resource.name().matches("[A-Za-z][A-Za-z0-9_]*") || !names.add(resource.name())) {
                throw refusal(file, "has a fetch resource without a unique name of letters and digits: '" + resource.name() + "'");
            }
            if (resource.events() == null || resource.events().isEmpty()) {
                throw refusal(file, label + " needs events: the webhook event types it is fetched for");
            }
            ResourcePath.problem(resource.path(), resource.ids()).ifPresent(p -> {
                throw refusal(file, label + ": " + p);
            });
            resource.query().forEach((parameter, pointer) -> {
                if (!parameter.matches("[A-Za-z0-9_.\\-\\[\\]]+") || pointer == null
                        || java.util.Arrays.stream(pointer.split(",")).anyMatch(p -> !p.trim().startsWith("/"))) {
                    throw refusal(file, label + ": query." + parameter + " must be a parameter name with a JSON pointer into the webhook");
                }
            });
            resource.ids().forEach((id, pointer) -> {
                if (pointer == null || java.util.Arrays.stream(pointer.split(",")).anyMatch(p -> !p.trim().startsWith("/"))) {
                    throw refusal(file, label + ": ids." + id + " must be a JSON pointer into the webhook, such as /data/id"
                            + " (or several, separated by commas: the first present is used)");
                }
            });
            if (resource.notReady() != null && (resource.notReady().retry() == null || resource.notReady().retry().isEmpty())) {
                throw refusal(file, label + ": not-ready needs retry, the offsets after receipt to ask again");
            }
        }
        Set<String> polled = new HashSet<>();
        for (ProviderApiSettings.PolledResource resource : settings.poll().resources()) {
            String label = "poll resource '" + resource.name() + "'";
            if (blank(resource.name()) || !resource.name().matches("[A-Za-z][A-Za-z0-9_]*") || !polled.add(resource.name())) {
                throw refusal(file, "has a poll resource without a unique name of letters and digits: '" + resource.name() + "'");
            }
            if (blank(resource.idKind())) {
                throw refusal(file, label + " needs id-kind: which linked id of an order fills {id} (labhooks.orders.link-refs)");
            }
            ResourcePath.problem(resource.path(), Map.of("id", "/id")).ifPresent(p -> {
                throw refusal(file, label + ": " + p);
            });
            if (!resource.path().contains("{id}")) {
                throw refusal(file, label + ": path needs {id}, where the order's id goes");
            }
            if (resource.every() == null || resource.every().compareTo(Duration.ofSeconds(1)) < 0) {
                throw refusal(file, label + " needs every: how often each open order is polled (at least 1s)");
            }
            if (resource.status() == null || resource.status().isEmpty() || resource.status().stream().anyMatch(p -> p == null || !p.startsWith("/"))) {
                throw refusal(file, label + " needs status: JSON pointers to the values that tell a change, such as /status");
            }
        }
    }

    private static String baseUrl(String variable, String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new StartupRefusal(variable + " is not a URL", "set " + variable + " to the API base, such as https://api.example.com/api");
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new StartupRefusal(variable + " must be an http(s) URL with a host and no query, fragment or user",
                    "set " + variable + " to the API base, such as https://api.example.com/api");
        }
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static StartupRefusal refusal(Path file, String problem) {
        return new StartupRefusal(file + " " + problem, "correct " + file + " (its settings are described in the README, \"Provider APIs\")");
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
