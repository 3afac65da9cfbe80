package io.labhooks.fetch;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * One fetch attempt for one stored webhook: asks the provider API for each resource its event type names that is
 * not fetched yet, and says what happens next. The answers decide: 2xx JSON is kept; the resource's not-ready
 * status (LML's 204) is asked again on its schedule; 404 on a verifying resource rejects the event (the provider does
 * not know it, so it is not genuine); 429 waits for Retry-After; anything else (5xx, 401, a redirect, a timeout)
 * is retried with backoff until the fetch budget is spent, and the event then goes on from the webhook alone; 400,
 * 405, 410 and 422 say the request can never succeed, so the event goes on without that resource at once.
 */
@Component
public class ResourceFetcher {

    private static final Logger LOG = LoggerFactory.getLogger(ResourceFetcher.class);

    private final ProviderApiClient client;
    private final ObjectMapper json;
    private final MeterRegistry metrics;

    public ResourceFetcher(ProviderApiClient client, ObjectMapper json, MeterRegistry metrics) {
        this.client = client;
        this.json = json;
        this.metrics = metrics;
    }

    /** What the attempt leads to. */
    public sealed interface Outcome {
        /** Everything fetched: normalise now. */
        record Enriched(ObjectNode fetched) implements Outcome {
        }

        /** Something is still missing: ask again at {@code at}; {@code why} is shown while it waits. */
        record Retry(ObjectNode fetched, OffsetDateTime at, String why) implements Outcome {
        }

        /** The budget is spent: normalise with what was fetched, saying what is missing and why. */
        record WebhookOnly(ObjectNode fetched, String why) implements Outcome {
        }

        /** The provider API does not know what the webhook names: never normalised, never delivered. */
        record Rejected(ObjectNode fetched, String why) implements Outcome {
        }
    }

    /**
     * @param webhook     the stored webhook body
     * @param fetched     what earlier attempts fetched (name -> JSON)
     * @param attempt     this attempt's number, from 1
     * @param receivedAt  when the webhook was received: budget and not-ready offsets count from it
     */
    public Outcome fetch(ProviderApi api, String eventType, JsonNode webhook, ObjectNode fetched, int attempt,
                         OffsetDateTime receivedAt, OffsetDateTime now) {
        OffsetDateTime budgetEnd = receivedAt.plus(api.settings().fetch().budget());
        OffsetDateTime retryAt = null;
        OffsetDateTime notReadyAt = null;
        List<String> waiting = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (ProviderApiSettings.Resource resource : api.resourcesFor(eventType)) {
            if (fetched.has(resource.name())) {
                continue;
            }
            Optional<String> path = ResourcePath.fill(resource.path(), resource.ids(), webhook);
            if (path.isEmpty()) {
                String why = "the webhook has no usable id for " + resource.name() + " (" + resource.ids().values() + ")";
                if (resource.verify()) {
                    count(api, resource, "rejected");
                    return new Outcome.Rejected(fetched, why + ", so it cannot be verified");
                }
                count(api, resource, "skipped");
                continue;
            }
            Optional<OffsetDateTime> wait = api.waitBeforeCall(now);
            if (wait.isPresent()) {
                retryAt = earliest(retryAt, wait.get());
                waiting.add(resource.name() + ": waiting for the " + api.provider()
                        + " API (resting after a failure, or its rate budget spent)");
                continue;
            }
            ProviderApiClient.Answer answer = client.get(api, path.get(), ResourcePath.query(resource.query(), webhook));
            String call = api.provider() + " API GET " + resource.path();
            if (answer.status() >= 200 && answer.status() < 300 && !notReady(resource, answer)) {
                Optional<JsonNode> body = parse(answer.body());
                if (body.isPresent()) {
                    fetched.set(resource.name(), body.get());
                    count(api, resource, "fetched");
                    continue;
                }
                LOG.warn("{}: {} with a body that is not JSON", call, answer.status());
                retryAt = earliest(retryAt, now.plus(api.settings().fetch().retryAfter(attempt)));
                waiting.add(resource.name() + ": answered " + answer.status() + " with a body that is not JSON");
                count(api, resource, "failed");
                continue;
            }
            if (notReady(resource, answer)) {
                Optional<OffsetDateTime> next = nextOffset(resource.notReady().retry(), receivedAt, now);
                count(api, resource, "not-ready");
                if (next.isPresent()) {
                    notReadyAt = earliest(notReadyAt, next.get());
                    notReady.add(resource.name() + ": not ready yet (" + answer.status() + ")");
                } else {
                    LOG.info("{}: still not ready ({}) after its last retry; going on without it", call, answer.status());
                }
                continue;
            }
            if (answer.status() == 404 && resource.verify()) {
                count(api, resource, "rejected");
                LOG.warn("{}: 404, so the {} webhook is rejected: the provider does not know what it names", call, eventType);
                return new Outcome.Rejected(fetched, resource.name() + ": the " + api.provider()
                        + " API does not know it (404 for " + path.get() + ")");
            }
            if (answer.status() == 404) {
                count(api, resource, "not-found");
                LOG.info("{}: 404; going on without {}", call, resource.name());
                continue;
            }
            if (answer.status() == 400 || answer.status() == 405 || answer.status() == 410 || answer.status() == 422) {
                // the API says this request can never succeed: asking again until the budget is spent would not help
                count(api, resource, "refused");
                LOG.warn("{}: {}, which asking again cannot change; going on without {}", call, answer.status(), resource.name());
                refused.add(resource.name() + ": answered " + answer.status());
                continue;
            }
            count(api, resource, "failed");
            OffsetDateTime at = api.afterFailure(answer, now, attempt);
            String why = answer.status() == 429 ? "rate limited (429), asked again at " + at
                    : !answer.reached() ? "unreachable (" + answer.failure() + ")"
                    : answer.status() == 401 || answer.status() == 403
                    ? "refused the key (" + answer.status() + "): check " + api.keyVariable()
                    : answer.status() >= 300 && answer.status() < 400
                    ? "redirected (" + answer.status() + "), which is never followed: correct the path in " + api.provider() + ProviderApis.SUFFIX
                    : "answered " + answer.status();
            LOG.warn("{}: {} (attempt {})", call, why, attempt);
            retryAt = earliest(retryAt, at);
            waiting.add(resource.name() + ": " + why);
        }
        if (retryAt != null) {
            if (retryAt.isAfter(budgetEnd)) {
                return new Outcome.WebhookOnly(fetched, "fetch budget of " + api.settings().fetch().budget()
                        + " spent; " + String.join("; ", waiting) + (notReady.isEmpty() ? "" : "; " + String.join("; ", notReady)));
            }
            return new Outcome.Retry(fetched, notReadyAt == null ? retryAt : earliest(retryAt, notReadyAt),
                    String.join("; ", concat(waiting, notReady)));
        }
        if (notReadyAt != null) {
            return new Outcome.Retry(fetched, notReadyAt, String.join("; ", notReady));
        }
        if (!refused.isEmpty()) {
            return new Outcome.WebhookOnly(fetched, String.join("; ", refused));
        }
        return new Outcome.Enriched(fetched);
    }

    private static boolean notReady(ProviderApiSettings.Resource resource, ProviderApiClient.Answer answer) {
        return resource.notReady() != null && resource.notReady().status() == answer.status();
    }

    /** The first offset after receipt that is still ahead; empty when the schedule is over. */
    static Optional<OffsetDateTime> nextOffset(List<Duration> offsets, OffsetDateTime receivedAt, OffsetDateTime now) {
        return offsets.stream().map(receivedAt::plus).filter(now::isBefore).findFirst();
    }


    private static OffsetDateTime earliest(OffsetDateTime a, OffsetDateTime b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private Optional<JsonNode> parse(byte[] body) {
        try {
            JsonNode node = json.readTree(body);
            return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
        } catch (java.io.IOException notJson) {
            return Optional.empty();
        }
    }

    private void count(ProviderApi api, ProviderApiSettings.Resource resource, String outcome) {
        metrics.counter("labhooks.fetch.resources", "provider", api.provider(), "resource", resource.name(), "outcome", outcome)
                .increment();
    }
}
