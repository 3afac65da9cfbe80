package io.labhooks.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every route file an integrator may edit is checked against Camel 4.17's own YAML DSL schema (shipped in
 * camel-yaml-dsl), so a typo or a bare number where Camel wants a string fails the build with its path, not the
 * box at startup. (camel-yaml-dsl-validator-maven-plugin only exists from Camel 4.18.)
 */
class RoutesSchemaTest {

    private static JsonSchema camelYamlDsl;

    @BeforeAll
    static void loadSchema() throws IOException {
        try (InputStream in = RoutesSchemaTest.class.getResourceAsStream("/schema/camelYamlDsl.json")) {
            camelYamlDsl = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
    }

    static Stream<Path> routeFiles() throws IOException {
        try (Stream<Path> routes = Files.walk(Path.of("routes"))) {
            return Stream.concat(routes.filter(p -> p.toString().endsWith(".camel.yaml")).sorted().toList().stream(),
                    Stream.of(Path.of("src/test/resources/sixth-provider/acme.camel.yaml")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void isValidCamelYamlDsl(Path file) throws IOException {
        JsonNode routes = new YAMLMapper().readTree(file.toFile());
        Set<ValidationMessage> errors = camelYamlDsl.validate(routes);
        assertThat(errors).as(file.toString()).isEmpty();
    }
}
