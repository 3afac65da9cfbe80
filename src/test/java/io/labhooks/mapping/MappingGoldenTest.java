package io.labhooks.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.jsonata.JsonataComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.labhooks.event.EventExchange;
import io.labhooks.support.TestSettings;
import io.labhooks.normalise.CanonicalEvents;
import io.labhooks.normalise.MappingBounds;
import io.labhooks.normalise.MappingFiles;

/**
 * Golden tests for every provider mapping: each mappings/tests/<provider>/<case>.input.json goes through the
 * camel-jsonata endpoint (as an integrator's jsonata: call would) and through the box's own MappingFiles, must equal
 * <case>.expected.json either way (a case with resources fetched from the provider's API, {@code <case>.fetched.json}
 * bound as {@code $fetched}, through MappingFiles only), and, completed with the pipeline's fields, must be a valid canonical event.
 * mvn verify runs it a second time on a Turkish host in Pacific/Chatham (pom.xml): results must not depend on either.
 */
class MappingGoldenTest {

    private static final Path MAPPINGS = Path.of("mappings");
    private static final Path SIXTH_PROVIDER = Path.of("src/test/resources/sixth-provider");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The id every polled case was polled by ($polledId). */
    private static final String POLLED_ID = "polled-id-0001";
    private static CamelContext camel;
    private static ProducerTemplate producer;
    private static JsonSchema schema;
    private static MappingFiles mappings;

    @BeforeAll
    static void start() throws Exception {
        // both paths evaluate in the box's own frame: bounds and the host-independent built-ins
        MappingBounds frame = new MappingBounds(TestSettings.mappingBounds());
        camel = new DefaultCamelContext();
        camel.getComponent("jsonata", JsonataComponent.class).setFrameBinding(frame);
        camel.start();
        producer = camel.createProducerTemplate();
        mappings = new MappingFiles(camel, MAPPINGS, frame, new SimpleMeterRegistry(), Clock.systemUTC());
        try (InputStream in = MappingGoldenTest.class.getResourceAsStream("/schema/canonical-event.schema.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(in);
        }
    }

    @AfterAll
    static void stop() {
        camel.stop();
    }

    /** The shipped providers' fixtures, and the made-up sixth provider's (SixthProviderTest). */
    static Stream<Path> cases() throws IOException {
        return Stream.concat(inputs(MAPPINGS), inputs(SIXTH_PROVIDER));
    }

    private static Stream<Path> inputs(Path mappings) throws IOException {
        try (Stream<Path> files = Files.walk(mappings.resolve("tests"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".input.json")).sorted().toList().stream();
        }
    }

    /** mappings/tests/<provider>/<case>.input.json -> mappings/<provider>.jsonata */
    private static Path mappingOf(Path input) {
        return input.getParent().getParent().getParent().resolve(input.getParent().getFileName() + ".jsonata");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void mapsToTheExpectedCanonicalEvent(Path input) throws Exception {
        String provider = input.getParent().getFileName().toString();
        Path expectedFile = input.resolveSibling(input.getFileName().toString().replace(".input.json", ".expected.json"));
        String fetched = fetched(input);
        String poll = polledResource(input);
        // a jsonata: endpoint cannot bind $fetched or $poll: such cases go through MappingFiles alone
        String mapped = fetched != null || poll != null ? mappings.apply(mappingOf(input), Files.readAllBytes(input), fetched, poll, POLLED_ID)
                : producer.requestBody("jsonata:file:" + mappingOf(input) + "?inputType=JsonString&outputType=JsonString",
                Files.newInputStream(input), String.class);

        assertThat(JSON.readTree(mapped)).as("mapping output of " + input).isEqualTo(JSON.readTree(expectedFile.toFile()));
        // the normaliser's own path (MappingFiles: a parsed expression reused for a while) gives the same, every time
        for (int i = 0; i < 3; i++) {
            assertThat(mappings.apply(mappingOf(input), Files.readAllBytes(input), fetched, poll, POLLED_ID)).as("MappingFiles output of " + input)
                    .isEqualTo(mapped);
        }

        JsonNode event = complete(provider, mapped);
        Set<ValidationMessage> errors = schema.validate(event);
        assertThat(errors).as("schema errors of " + input + ": " + event).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void neverCarriesPatientDetails(Path input) throws Exception {
        String provider = input.getParent().getFileName().toString();
        String mapped = mappings.apply(mappingOf(input), Files.readAllBytes(input), fetched(input), polledResource(input),
                polledResource(input) == null ? null : POLLED_ID);
        JsonNode raw = JSON.createArrayNode().add(JSON.readTree(input.toFile()))
                .add(fetched(input) == null ? JSON.nullNode() : JSON.readTree(fetched(input)));
        for (String patientField : new String[] {"email", "firstName", "lastName", "first_name", "last_name", "dob",
                "phone_number", "receiver_name", "shippingAddress", "first_line", "date_of_birth", "dateOfBirth",
                "mobileNumber", "addressLine1", "postcode"}) {
            for (JsonNode value : raw.findValues(patientField)) {
                if (value.isTextual() && value.asText().length() > 3) {
                    assertThat(mapped).as(patientField + " of " + input).doesNotContain(value.asText());
                }
            }
        }
    }

    /**
     * For a polled snapshot's case, named {@code poll.<resource>.<case>.input.json} (the input is then the resource
     * as the provider's API answers it), the resource's name, bound as {@code $poll}; null for a webhook's case.
     */
    private static String polledResource(Path input) {
        String name = input.getFileName().toString();
        return name.startsWith("poll.") ? name.substring(5, name.indexOf('.', 5)) : null;
    }

    /** The resources fetched for the case ({@code <case>.fetched.json}: name -> resource), or null when there are none. */
    private static String fetched(Path input) throws IOException {
        Path file = input.resolveSibling(input.getFileName().toString().replace(".input.json", ".fetched.json"));
        return Files.exists(file) ? Files.readString(file) : null;
    }

    private static JsonNode complete(String provider, String mapped) throws Exception {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty(EventExchange.PROVIDER, provider);
        exchange.setProperty(EventExchange.EVENT_ID, "6f1c1c1e-9d6a-5a8e-9a53-1ab4c0f3e7d1");
        exchange.setProperty(EventExchange.PROVIDER_EVENT_TYPE, "fixture.event");
        exchange.setProperty(EventExchange.PROVIDER_EVENT_ID, "fixture-id");
        exchange.setProperty(EventExchange.MAPPING, provider + ".jsonata");
        exchange.setProperty(EventExchange.RECEIVED_AT, OffsetDateTime.parse("2026-01-02T03:04:05Z"));
        exchange.getMessage().setBody(mapped);
        new CanonicalEvents(JSON).complete(exchange);
        return JSON.readTree(exchange.getMessage().getBody(String.class));
    }
}
