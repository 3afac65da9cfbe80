package io.labhooks.poll;

import java.io.IOException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Optional;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.labhooks.fetch.ProviderApi;
import io.labhooks.fetch.ProviderApiClient;
import io.labhooks.fetch.ProviderApiSettings;
import io.labhooks.fetch.ProviderApis;
import io.labhooks.fetch.ResourcePath;
import io.labhooks.store.InboundEventStore;
import io.labhooks.queue.LeasedClaims.Claim;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Reconciliation polling, one provider at a time (routes/poll.camel.yaml): keeps the provider's watches up to date
 * with its open orders, then polls each watch that is due. The first answer of a watch is its baseline (a 404 or 204
 * counts as "absent", so results appearing later are a change); after that a snapshot whose status values differ
 * becomes an inbound event exactly like a webhook (stored, mapped, projected,
 * delivered), marked {@code source: "poll"}. An unchanged snapshot makes nothing. Calls share the provider's rate
 * budget and rest with fetch on notify (a 429 or a down API holds both).
 */
@Component("orderPoller")
public class OrderPoller {

    private static final Logger LOG = LoggerFactory.getLogger(OrderPoller.class);
    /** The fingerprint of a resource the API does not have (yet), followed by the status it answered. */
    static final String ABSENT = "(absent) ";

    private final ProviderApis apis;
    private final ProviderApiClient client;
    private final PollWatches watches;
    private final InboundEventStore inbound;
    private final TransactionTemplate transaction;
    private final ObjectMapper json;
    private final Clock clock;
    private final MeterRegistry metrics;

    public OrderPoller(ProviderApis apis, ProviderApiClient client, PollWatches watches, InboundEventStore inbound,
                       TransactionTemplate transaction, ObjectMapper json, Clock clock, MeterRegistry metrics) {
        this.apis = apis;
        this.client = client;
        this.watches = watches;
        this.inbound = inbound;
        this.transaction = transaction;
        this.json = json;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Watches every open order of the provider for each polled resource, then claims those due. */
    public java.util.List<Claim> due(String provider, int limit) {
        ProviderApi api = apis.of(provider).orElseThrow();
        for (ProviderApiSettings.PolledResource resource : api.settings().poll().resources()) {
            watches.refresh(provider, resource.name(), resource.idKind());
        }
        return watches.claimDue(provider, limit);
    }

    /** Polls one claimed watch (the message body is its {@link Claim}). */
    public void poll(Exchange exchange) throws IOException {
        Claim claim = exchange.getIn().getBody(Claim.class);
        Optional<PollWatches.Watch> started = watches.start(claim);
        if (started.isEmpty()) {
            return; // the lease ran out first: another worker has it now
        }
        PollWatches.Watch watch = started.get();
        OffsetDateTime now = OffsetDateTime.now(clock);
        ProviderApi api = apis.of(watch.provider()).orElseThrow();
        Optional<ProviderApiSettings.PolledResource> configured = api.settings().poll().resources().stream()
                .filter(r -> r.name().equals(watch.resource())).findFirst();
        if (configured.isEmpty()) {
            watches.failed(claim, "no longer polled: " + watch.resource() + " is not in " + api.provider() + ".api.yaml",
                    now.plusDays(1));
            return;
        }
        ProviderApiSettings.PolledResource resource = configured.get();
        OffsetDateTime next = now.plus(apis.cadence(resource));
        Optional<String> path = ResourcePath.fillId(resource.path(), watch.refValue());
        if (path.isEmpty()) {
            watches.failed(claim, "the order's " + resource.idKind() + " id cannot be a path segment", now.plusDays(1));
            return;
        }
        Optional<OffsetDateTime> wait = api.waitBeforeCall(now);
        if (wait.isPresent()) {
            watches.later(claim, wait.get());
            return;
        }
        ProviderApiClient.Answer answer = client.get(api, path.get());
        String call = api.provider() + " API GET " + resource.path() + " (poll)";
        if (answer.status() == 404 || answer.status() == 204) {
            // not there (yet): results not out, say; counted as a state of its own, so its appearing is a change
            metrics.counter("labhooks.poll.calls", "provider", api.provider(), "resource", resource.name(), "outcome", "absent").increment();
            watches.polled(claim, ABSENT + answer.status(), false, next);
            return;
        }
        if (answer.status() < 200 || answer.status() >= 300 || answer.body().length == 0) {
            OffsetDateTime retry = api.afterFailure(answer, now, watch.polls() + 1);
            String why = answer.reached() ? "answered " + answer.status() : "unreachable (" + answer.failure() + ")";
            LOG.warn("{}: {}", call, why);
            metrics.counter("labhooks.poll.calls", "provider", api.provider(), "resource", resource.name(), "outcome", "failed").increment();
            watches.failed(claim, why, retry.isAfter(next) ? next : retry);
            return;
        }
        JsonNode snapshot;
        try {
            snapshot = json.readTree(answer.body());
        } catch (IOException notJson) {
            watches.failed(claim, "answered " + answer.status() + " with a body that is not JSON", next);
            return;
        }
        String fingerprint = fingerprint(resource, snapshot);
        boolean baseline = watch.fingerprint() == null;
        boolean changed = !baseline && !watch.fingerprint().equals(fingerprint);
        metrics.counter("labhooks.poll.calls", "provider", api.provider(), "resource", resource.name(),
                "outcome", baseline ? "baseline" : changed ? "changed" : "unchanged").increment();
        transaction.executeWithoutResult(tx -> {
            if (changed) {
                String dedupeKey = api.provider() + "|poll|" + resource.name() + "|" + watch.refValue() + "|" + watch.id()
                        + "#" + (watch.polls() + 1);
                inbound.storePolled(api.provider(), resource.name(), watch.refValue(), apis.mapping(api), answer.body(),
                        dedupeKey, now);
            }
            if (!watches.polled(claim, fingerprint, changed, next)) {
                // another worker took the watch after our lease ran out: it will poll and store, not us
                tx.setRollbackOnly();
            }
        });
        if (changed) {
            LOG.info("{}: the {} changed, stored as an inbound event (order {})", call, resource.name(), watch.orderKey());
        }
    }

    /** The snapshot's values at the resource's status pointers, joined; a missing value counts as empty. */
    static String fingerprint(ProviderApiSettings.PolledResource resource, JsonNode snapshot) {
        StringBuilder values = new StringBuilder();
        for (String pointer : resource.status()) {
            JsonNode value = snapshot.at(pointer);
            values.append(values.isEmpty() ? "" : "|").append(value.isMissingNode() || value.isNull() ? "" : value.isValueNode() ? value.asText() : value.toString());
        }
        String text = values.toString();
        return text.length() > 1000 ? text.substring(0, 1000) : text;
    }
}
