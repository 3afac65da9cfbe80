package io.labhooks.normalise;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.dashjoin.jsonata.Jsonata;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.jsonata.JsonataEndpoint;
import org.apache.camel.component.jsonata.JsonataFrameBinding;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.ingest.WebhookExchange;

/**
 * The JSONata mapping files as the normalise route runs them: evaluated exactly as camel-jsonata does with
 * inputType=JsonString and outputType=JsonString (a plain Jackson ObjectMapper reads the body into maps and lists
 * and writes the result), under the same {@link MappingBounds}, but without parsing the file for every event.
 *
 * <p>camel-jsonata 4.17 caches a file's text and parses it again for every exchange, which cost the normaliser a
 * third of its time. Keeping one parsed expression forever is not safe either: jsonata-java 0.9.9 leaves state
 * behind in a parsed expression on every evaluation, so each evaluation of the same expression is a little slower
 * than the last (the benchmark saw mappings slow from under a millisecond to past the 2 s bound after about 12,000
 * events). So a parsed expression serves {@value #EVALUATIONS_PER_PARSE} evaluations and is then parsed afresh:
 * the parse is paid once per batch instead of once per event, and the leftover state stays bounded.
 * {@link #reload()} drops every cache so a fixed mapping is used from the next event on, without a restart.
 */
@Component
public class MappingFiles {

    static final int EVALUATIONS_PER_PARSE = 64;

    /** A parsed mapping and how many more evaluations it may serve. */
    private static final class Parsed {
        final Jsonata expression;
        int evaluationsLeft = EVALUATIONS_PER_PARSE;

        Parsed(Jsonata expression) {
            this.expression = expression;
        }
    }

    private final CamelContext camel;
    private final Path dir;
    private final JsonataFrameBinding bounds;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Path, Parsed> parsed = new ConcurrentHashMap<>();

    @Autowired
    public MappingFiles(CamelContext camel, LabhooksProperties properties, MappingBounds bounds) {
        this(camel, Path.of(properties.mappingsDir()), bounds);
    }

    public MappingFiles(CamelContext camel, Path dir, JsonataFrameBinding bounds) {
        this.camel = camel;
        this.dir = dir;
        this.bounds = bounds;
    }

    /** Maps the raw webhook body with the provider's mapping ({@code mapping} property); the body becomes the JSON result. */
    public void map(Exchange exchange) throws IOException {
        String mapping = exchange.getProperty(WebhookExchange.MAPPING, String.class);
        byte[] body = exchange.getIn().getBody(byte[].class);
        exchange.getMessage().setBody(apply(dir.resolve(mapping), body));
    }

    /** The mapping file's result for this JSON input, as JSON text. */
    public String apply(Path file, byte[] input) throws IOException {
        Object data = json.readValue(input, Object.class);
        Parsed mapping = parsed.compute(file, (f, cached) -> cached == null || cached.evaluationsLeft <= 0 ? null : cached);
        if (mapping == null) {
            mapping = new Parsed(Jsonata.jsonata(Files.readString(file)));
            parsed.put(file, mapping);
        }
        Object result;
        // One normaliser thread in practice; the lock keeps a parsed expression to one evaluation at a time anyway.
        synchronized (mapping) {
            mapping.evaluationsLeft--;
            Jsonata.Frame frame = mapping.expression.createFrame();
            bounds.bindToFrame(frame);
            result = mapping.expression.evaluate(data, frame);
        }
        return json.writeValueAsString(result);
    }

    /** Drops the parsed mappings, and the content cached by any jsonata: endpoint; the number of endpoints. */
    public int reload() {
        parsed.clear();
        int reloaded = 0;
        for (var endpoint : camel.getEndpoints()) {
            if (endpoint instanceof JsonataEndpoint mapping) {
                mapping.clearContentCache();
                reloaded++;
            }
        }
        return reloaded;
    }
}
