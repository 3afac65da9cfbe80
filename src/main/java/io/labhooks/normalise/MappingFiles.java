package io.labhooks.normalise;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.jsonata.JsonataEndpoint;
import org.apache.camel.component.jsonata.JsonataFrameBinding;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.event.EventExchange;

/**
 * The JSONata mapping files as the normalise route runs them: evaluated exactly as camel-jsonata does with
 * inputType=JsonString and outputType=JsonString (a plain Jackson ObjectMapper reads the body into maps and lists
 * and writes the result), in the same frame ({@link MappingBounds}), but without parsing the file for every event
 * (camel-jsonata 4.17 parses it again for every exchange, which cost the normaliser a third of its time).
 *
 * <p>Edits are taken live: each file is looked at again at most once a second, when an event needs it, and a broken
 * edit is refused while the previous version stays in use ({@link MappingFile}). {@link #reload()} looks at every
 * file at once, for a remap that must use the files as they are now.
 */
@Component
public class MappingFiles {

    private final CamelContext camel;
    private final Path dir;
    private final JsonataFrameBinding frameBinding;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Path, MappingFile> files = new ConcurrentHashMap<>();

    @Autowired
    public MappingFiles(CamelContext camel, LabhooksProperties properties, MappingBounds bounds, MeterRegistry metrics,
                        Clock clock) {
        this(camel, Path.of(properties.mappingsDir()), bounds, metrics, clock);
    }

    public MappingFiles(CamelContext camel, Path dir, JsonataFrameBinding frameBinding, MeterRegistry metrics, Clock clock) {
        this.camel = camel;
        this.dir = dir;
        this.frameBinding = frameBinding;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Maps the raw webhook body with the provider's mapping ({@code mapping} property); the body becomes the JSON result. */
    public void map(Exchange exchange) throws IOException {
        String mapping = exchange.getProperty(EventExchange.MAPPING, String.class);
        byte[] body = exchange.getIn().getBody(byte[].class);
        exchange.getMessage().setBody(apply(dir.resolve(mapping), body,
                exchange.getProperty(InboundEventQueue.FETCHED, String.class),
                exchange.getProperty(InboundEventQueue.POLLED_RESOURCE, String.class),
                exchange.getProperty(InboundEventQueue.POLLED_ID, String.class)));
    }

    /** The mapping file's result for this JSON input, as JSON text. */
    public String apply(Path file, byte[] input) throws IOException {
        return apply(file, input, null);
    }

    /** Like {@link #apply(Path, byte[], String, String, String)} for a webhook. */
    public String apply(Path file, byte[] input, String fetched) throws IOException {
        return apply(file, input, fetched, null, null);
    }

    /**
     * The mapping file's result for this JSON input, as JSON text. The resources fetched for it are bound as
     * {@code $fetched} (name -> resource; undefined when nothing was fetched); for a snapshot polled from the
     * provider's API (the input is then the resource itself), {@code $poll} is the resource's name and
     * {@code $polledId} the id it was polled by; both are undefined for a webhook.
     */
    public String apply(Path file, byte[] input, String fetched, String polledResource, String polledId) throws IOException {
        Object data = json.readValue(input, Object.class);
        Object resources = fetched == null ? null : json.readValue(fetched, Object.class);
        // Bound on every evaluation, null (undefined) included, so no event can see another's (MappingFilesTest).
        JsonataFrameBinding binding = frame -> {
            frameBinding.bindToFrame(frame);
            frame.bind("fetched", resources);
            frame.bind("poll", polledResource);
            frame.bind("polledId", polledId);
        };
        return json.writeValueAsString(files.computeIfAbsent(file, this::track).evaluate(data, binding));
    }

    /**
     * Looks at the named mapping file at once (as {@link #reload()} does for all): why its content on disk is refused,
     * naming what is used instead, or empty when that content is the version in use.
     */
    public Optional<String> refusalNow(String mapping) {
        return files.computeIfAbsent(dir.resolve(mapping), this::track).refusalNow();
    }

    /**
     * Looks at every mapping file in use at once (a broken one is refused as always, its previous version staying),
     * and drops the content cached by any jsonata: endpoint; the number of endpoints.
     */
    public int reload() {
        files.values().forEach(MappingFile::lookNow);
        int reloaded = 0;
        for (var endpoint : camel.getEndpoints()) {
            if (endpoint instanceof JsonataEndpoint mapping) {
                mapping.clearContentCache();
                reloaded++;
            }
        }
        return reloaded;
    }

    private MappingFile track(Path file) {
        String name = (file.startsWith(dir) ? dir.relativize(file) : file.getFileName()).toString();
        Counter refused = Counter.builder("labhooks.mappings.refused")
                .description("Versions of a mapping file refused: empty, unreadable or not parsing")
                .tag("mapping", name)
                .register(metrics);
        return new MappingFile(file, name, clock, refused);
    }
}
