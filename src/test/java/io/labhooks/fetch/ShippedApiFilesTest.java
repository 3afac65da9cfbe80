package io.labhooks.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/**
 * Every shipped {@code routes/providers/*.api.yaml} binds and validates as the box reads it at startup (a file that
 * does not would stop the box with a StartupRefusal), fetch and poll blocks together, and every polled resource fills
 * {@code {id}} with a kind of id the box links orders by.
 */
class ShippedApiFilesTest {

    private static final Path PROVIDERS = Path.of("routes/providers");

    static Stream<Path> apiFiles() throws IOException {
        try (Stream<Path> files = Files.list(PROVIDERS)) {
            return files.filter(p -> p.getFileName().toString().endsWith(ProviderApis.SUFFIX)).sorted().toList().stream();
        }
    }

    @Test
    void everyProviderShipsAnApiFile() throws IOException {
        assertThat(apiFiles().map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("fullscript.api.yaml", "hurdle.api.yaml", "junction.api.yaml", "lml.api.yaml",
                        "lola.api.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apiFiles")
    void bindsAndValidates(Path file) throws IOException {
        ProviderApiSettings settings = ProviderApis.read(file);

        assertThat(settings.auth().header()).isNotBlank();
        assertThat(settings.fetch().resources()).isNotEmpty();
        assertThat(settings.poll().resources()).isNotEmpty();
        Set<String> kinds = linkKinds();
        for (ProviderApiSettings.PolledResource resource : settings.poll().resources()) {
            assertThat(kinds).as(file + " poll resource " + resource.name() + " id-kind").contains(resource.idKind());
            assertThat(resource.path()).as(file + " poll resource " + resource.name()).contains("{id}");
            assertThat(resource.status()).as(file + " poll resource " + resource.name()).isNotEmpty();
        }
    }

    @Test
    void lolaSendsItsApiVersionHeader() {
        ProviderApiSettings settings = ProviderApis.read(PROVIDERS.resolve("lola.api.yaml"));

        assertThat(settings.headers()).containsEntry("X-API-Version", "1");
        assertThat(settings.auth().header()).isEqualTo("X-API-Key");
    }

    @Test
    void aTypoIsRefusedWithOneLineNamingTheSetting(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path file = dir.resolve("acme.api.yaml");
        Files.writeString(file, Files.readString(PROVIDERS.resolve("lml.api.yaml")).replace("rate-limit:", "rate-limmit:"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProviderApis.read(file))
                .isInstanceOf(io.labhooks.config.StartupRefusal.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("rate-limmit");
    }

    /** The kinds of labhooks.orders.link-refs in application.yaml: the ids a poll can fill {id} with. */
    @SuppressWarnings("unchecked")
    private static Set<String> linkKinds() throws IOException {
        Map<String, Object> app = new Yaml().load(Files.readString(Path.of("application.yaml")));
        Map<String, Object> orders = (Map<String, Object>) ((Map<String, Object>) app.get("labhooks")).get("orders");
        return ((Map<String, Object>) orders.get("link-refs")).keySet();
    }
}
