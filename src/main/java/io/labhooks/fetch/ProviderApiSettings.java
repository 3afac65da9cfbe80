package io.labhooks.fetch;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What a provider's {@code <provider>.api.yaml} (beside its route file) says about its read API: how to
 * authenticate, how fast it may be called, and which resources to fetch for which webhook event types. Paths are
 * appended to the base URL from {@code <PROVIDER>_API_URL}; nothing here names a host. {@code mapping}: the JSONata
 * file polled snapshots are mapped with (default {@code <provider>.jsonata}).
 */
public record ProviderApiSettings(Auth auth, @DefaultValue Map<String, String> headers, RateLimit rateLimit,
                                  @DefaultValue("10s") Duration timeout, Fetch fetch, @DefaultValue Poll poll,
                                  String mapping) {

    /** The credential header; {@code value} holds {@code {key}} where the key from {@code <PROVIDER>_API_KEY} goes. */
    public record Auth(String header, @DefaultValue("{key}") String value) {
    }

    /** At most {@code requests} calls per {@code per}, fetches and polls together, on each box. */
    public record RateLimit(int requests, Duration per) {
    }

    /**
     * Fetch on notify: how long an event may wait for its resources before it is normalised from the webhook alone;
     * the wait after a failed call, doubling from {@code firstRetry} up to {@code longestRetry}; and the resources.
     */
    public record Fetch(@DefaultValue("1h") Duration budget, @DefaultValue("10s") Duration firstRetry,
                        @DefaultValue("5m") Duration longestRetry, @DefaultValue List<Resource> resources) {

        /** The wait after failed attempt {@code attempt} (from 1). */
        public Duration retryAfter(int attempt) {
            Duration wait = firstRetry.multipliedBy(1L << Math.min(Math.max(attempt - 1, 0), 20));
            return wait.compareTo(longestRetry) > 0 ? longestRetry : wait;
        }
    }

    /**
     * One resource fetched for the webhook event types in {@code events}: {@code path} with {@code {placeholders}} filled from
     * the webhook by the JSON pointers in {@code ids}, and query parameters filled the same way from {@code query}
 * (parameter -> pointer; a parameter whose value is missing is left out). The mapping sees the answer as
 * {@code $fetched.<name>}.
     * {@code verify}: a 404 means the provider does not know what the webhook names, so the event is rejected.
     * {@code notReady}: an answer with this status means "not yet" (LML's 204 for results) and is asked again on
     * the offsets in {@code retry}, counted from when the webhook was received.
     */
    public record Resource(String name, List<String> events, String path, @DefaultValue Map<String, String> ids,
                           @DefaultValue Map<String, String> query, @DefaultValue("false") boolean verify,
                           NotReady notReady) {
    }

    public record NotReady(int status, List<Duration> retry) {
    }

    /** Reconciliation polling: the resources polled for every open order. */
    public record Poll(@DefaultValue List<PolledResource> resources) {
    }

    /**
     * A resource polled every {@code every} for each open order, at {@code path} with {@code {id}} filled by the
     * order's linked id of kind {@code idKind} (labhooks.orders.link-refs). A snapshot whose values at the
     * {@code status} JSON pointers differ from the last poll's becomes an inbound event of type
     * {@code poll.<name>}, mapped with {@code $poll = name}.
     */
    public record PolledResource(String name, String path, String idKind, Duration every, List<String> status) {
    }
}
