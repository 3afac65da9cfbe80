package io.labhooks.fetch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One provider's read API as this box calls it: the base URL and keys from the environment, and the settings of its
 * {@code <provider>.api.yaml}. The first key is used; the next ones are tried when it is refused (rotation), and the
 * one accepted is tried first from then on.
 */
public final class ProviderApi {

    private final String provider;
    private final String baseUrl;
    private final String urlVariable;
    private final String keyVariable;
    private final List<String> keys;
    private final ProviderApiSettings settings;
    private final CallBudget budget;
    /** Set when the API answered 429, 5xx or not at all: until then no call is made, every event waits. */
    private volatile Instant pausedUntil = Instant.MIN;
    private volatile String lastAccepted;

    ProviderApi(String provider, String baseUrl, String urlVariable, String keyVariable, List<String> keys,
                ProviderApiSettings settings, Clock clock) {
        this.provider = provider;
        this.baseUrl = baseUrl;
        this.urlVariable = urlVariable;
        this.keyVariable = keyVariable;
        this.keys = List.copyOf(keys);
        this.settings = settings;
        this.budget = new CallBudget(settings.rateLimit().requests(), settings.rateLimit().per(), clock);
    }

    public String provider() {
        return provider;
    }

    /** Without a trailing slash; every path is appended to it. */
    public String baseUrl() {
        return baseUrl;
    }

    public String urlVariable() {
        return urlVariable;
    }

    public String keyVariable() {
        return keyVariable;
    }

    /** The keys to try, the one that last worked first. */
    public List<String> keys() {
        String preferred = lastAccepted;
        if (preferred == null || preferred.equals(keys.get(0))) {
            return keys;
        }
        List<String> ordered = new java.util.ArrayList<>(keys);
        ordered.remove(preferred);
        ordered.add(0, preferred);
        return ordered;
    }

    /** Remembers the key the API accepted, so the next calls try it first. */
    void accepted(String key) {
        lastAccepted = key;
    }

    public ProviderApiSettings settings() {
        return settings;
    }

    public Duration timeout() {
        return settings.timeout();
    }

    /** The resources to fetch for a webhook of this type, in the order the file lists them. */
    public List<ProviderApiSettings.Resource> resourcesFor(String eventType) {
        return settings.fetch().resources().stream().filter(r -> eventType != null && r.events().contains(eventType)).toList();
    }

    /** Holds every call until then (Retry-After, or the backoff after a failure), so a down API is not hammered. */
    private void pauseUntil(Instant until) {
        if (until.isAfter(pausedUntil)) {
            pausedUntil = until;
        }
    }

    /** Until when calls are held, if that is still ahead. */
    private Optional<Instant> pausedAfter(Instant now) {
        Instant until = pausedUntil;
        return until.isAfter(now) ? Optional.of(until) : Optional.empty();
    }

    /** Empty if a call may be made now (the permit is taken), else how long until one may. */
    private Optional<Duration> takePermit() {
        return budget.take();
    }

    /**
     * Empty when a call may be made now (a permit is then taken), else when to try again: the API is resting after
     * a failure, or the rate budget is spent.
     */
    public Optional<java.time.OffsetDateTime> waitBeforeCall(java.time.OffsetDateTime now) {
        Optional<Instant> paused = pausedAfter(now.toInstant());
        if (paused.isPresent()) {
            return Optional.of(paused.get().atOffset(now.getOffset()));
        }
        return takePermit().map(now::plus);
    }

    /**
     * When to call again after an answer that was not a success: Retry-After if given (60 s for a 429 without one),
     * else the fetch backoff for this attempt. A 429, a 5xx or no answer makes every call to the API wait as long.
     */
    public java.time.OffsetDateTime afterFailure(ProviderApiClient.Answer answer, java.time.OffsetDateTime now, int attempt) {
        java.time.OffsetDateTime at = answer.retryAfter().map(now::plus)
                .orElse(answer.status() == 429 ? now.plusSeconds(60) : now.plus(settings.fetch().retryAfter(attempt)));
        if (!answer.reached() || answer.status() == 429 || answer.status() >= 500) {
            pauseUntil(at.toInstant());
        }
        return at;
    }
}
