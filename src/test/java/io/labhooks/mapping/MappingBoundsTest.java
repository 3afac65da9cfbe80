package io.labhooks.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.component.jsonata.JsonataComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.support.TestSettings;
import io.labhooks.normalise.MappingBounds;
import io.labhooks.normalise.MappingFiles;

/** A runaway mapping fails quickly instead of holding the normaliser. */
class MappingBoundsTest {

    @Test
    @Timeout(30) // without the bounds this evaluation never ends
    void aMappingThatRecursesForeverFailsFast() throws Exception {
        LabhooksProperties properties = TestSettings.mappingBounds();
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.getComponent("jsonata", JsonataComponent.class).setFrameBinding(new MappingBounds(properties));
            camel.start();
            Instant start = Instant.now();
            assertThatThrownBy(() -> camel.createProducerTemplate().requestBody(
                    "jsonata:file:src/test/resources/runaway/runaway.jsonata?inputType=JsonString&outputType=JsonString",
                    "{}", String.class))
                    .isInstanceOf(CamelExecutionException.class)
                    .rootCause().hasMessageContaining("Expression evaluation timeout");
            assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    @Timeout(30)
    void theNormalisersOwnMappingPathIsBoundedToo() throws Exception {
        LabhooksProperties properties = TestSettings.mappingBounds();
        try (CamelContext camel = new DefaultCamelContext()) {
            MappingFiles mappings = new MappingFiles(camel, java.nio.file.Path.of("src/test/resources"),
                    new MappingBounds(properties), new SimpleMeterRegistry(), java.time.Clock.systemUTC());
            Instant start = Instant.now();
            assertThatThrownBy(() -> mappings.apply(java.nio.file.Path.of("src/test/resources/runaway/runaway.jsonata"),
                    "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .hasMessageContaining("Expression evaluation timeout");
            assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(5));
        }
    }
}
