package io.labhooks.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi31;

/**
 * Junction's published OpenAPI 3.1 document (../shared/reference/junction-openapi.json beside the project): the
 * schemas a Junction API double's answers must validate against, formats asserted. Loaded once per JVM (the document
 * is large); a missing document fails the test, it never skips it.
 */
public final class JunctionOpenApi {

    public static final Path SPEC = Path.of("..", "shared", "reference", "junction-openapi.json");
    private static final List<String> SCHEMAS = List.of("ClientFacingOrder", "GetOrdersResponse", "LabResultsRaw",
            "ClientFacingAppointment", "ValidationError");
    private static Map<String, JsonSchema> schemas;

    private JunctionOpenApi() {
    }

    /** What is wrong with the node as an instance of components/schemas/{@code name}; empty when it is valid. */
    public static Set<ValidationMessage> errors(String name, JsonNode node) {
        JsonSchema schema = schemas().get(name);
        if (schema == null) {
            throw new IllegalArgumentException("no schema " + name + " is loaded (" + SCHEMAS + ")");
        }
        return schema.validate(node);
    }

    private static synchronized Map<String, JsonSchema> schemas() {
        if (schemas == null) {
            Path spec = SPEC.toAbsolutePath().normalize();
            if (!Files.isRegularFile(spec)) {
                throw new AssertionError("Junction's OpenAPI document is missing: expected " + spec
                        + " (shared/reference/junction-openapi.json beside the project)");
            }
            JsonSchemaFactory openApi31 = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                    builder -> builder.metaSchema(OpenApi31.getInstance()).defaultMetaSchemaIri(OpenApi31.getInstance().getIri()));
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
            Map<String, JsonSchema> loaded = new HashMap<>();
            for (String name : SCHEMAS) {
                JsonSchema schema = openApi31.getSchema(SchemaLocation.of(spec.toUri() + "#/components/schemas/" + name), config);
                schema.initializeValidators(); // resolve every $ref now, not during the first validation
                loaded.put(name, schema);
            }
            schemas = loaded;
        }
        return schemas;
    }
}
