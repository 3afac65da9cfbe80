package io.labhooks.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.convert.DurationStyle;
import org.yaml.snakeyaml.Yaml;

/**
 * Every shipped {@code routes/providers/*.api.yaml} binds and validates as the box reads it at startup (a file that
 * does not would stop the box with a StartupRefusal), and its {@code poll:} block has the agreed shape.
 *
 * <p>Until ProviderApis binds {@code poll:}, the fetch part is bound from the file with its {@code poll:} section cut
 * out (an unknown key fails binding), and the poll block is checked here on its own. Once poll binding lands, bind the
 * file as it is and drop {@link #withoutPollBlock}.
 */
class ShippedApiFilesTest {

    private static final Path PROVIDERS = Path.of("routes/providers");
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
    private static final Pattern TOP_LEVEL_KEY = Pattern.compile("^[A-Za-z_-]+:.*");

    @TempDir
    Path tmp;

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
    void fetchPartBindsAndValidates(Path file) throws IOException {
        Path fetchOnly = tmp.resolve(file.getFileName());
        Files.writeString(fetchOnly, withoutPollBlock(Files.readString(file)));

        ProviderApiSettings settings = ProviderApis.read(fetchOnly);

        assertThat(settings.auth().header()).isNotBlank();
        assertThat(settings.fetch().resources()).isNotEmpty();
        assertThat(settings.rateLimit().requests()).isPositive();
    }

    @Test
    void lolaSendsItsApiVersionHeader() throws IOException {
        Path fetchOnly = tmp.resolve("lola.api.yaml");
        Files.writeString(fetchOnly, withoutPollBlock(Files.readString(PROVIDERS.resolve("lola.api.yaml"))));

        ProviderApiSettings settings = ProviderApis.read(fetchOnly);

        assertThat(settings.headers()).containsEntry("X-API-Version", "1");
        assertThat(settings.auth().header()).isEqualTo("X-API-Key");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apiFiles")
    @SuppressWarnings("unchecked")
    void pollBlockHasTheAgreedShape(Path file) throws IOException {
        Map<String, Object> yaml = new Yaml().load(Files.readString(file));
        Map<String, Object> poll = (Map<String, Object>) yaml.get("poll");
        assertThat(poll).as("poll block of " + file).isNotNull().containsOnlyKeys("resources");
        List<Map<String, Object>> resources = (List<Map<String, Object>>) poll.get("resources");
        assertThat(resources).as("poll resources of " + file).isNotEmpty();
        Set<String> kinds = linkKinds();
        for (Map<String, Object> resource : resources) {
            String label = file + " poll resource " + resource.get("name");
            assertThat(resource).as(label).containsOnlyKeys("name", "path", "id-kind", "every", "status");
            assertThat((String) resource.get("name")).as(label).matches(NAME);
            assertThat(ResourcePath.problem((String) resource.get("path"), Map.of("id", "/id"))).as(label).isEmpty();
            assertThat((String) resource.get("path")).as(label + " fills {id}").contains("{id}");
            assertThat(kinds).as(label + " id-kind").contains((String) resource.get("id-kind"));
            assertThatCode(() -> DurationStyle.detectAndParse(String.valueOf(resource.get("every")))).as(label).doesNotThrowAnyException();
            assertThat((List<String>) resource.get("status")).as(label).isNotEmpty().allMatch(p -> p.startsWith("/"));
        }
        assertThat(resources.stream().map(r -> r.get("name"))).as("unique names in " + file).doesNotHaveDuplicates();
    }

    /** The kinds of labhooks.orders.link-refs in application.yaml: the ids a poll can fill {id} with. */
    @SuppressWarnings("unchecked")
    private static Set<String> linkKinds() throws IOException {
        Map<String, Object> app = new Yaml().load(Files.readString(Path.of("application.yaml")));
        Map<String, Object> orders = (Map<String, Object>) ((Map<String, Object>) app.get("labhooks")).get("orders");
        return ((Map<String, Object>) orders.get("link-refs")).keySet();
    }

    /** The file with its top-level {@code poll:} section (up to the next top-level key) cut out. */
    static String withoutPollBlock(String yaml) {
        StringBuilder kept = new StringBuilder();
        boolean inPoll = false;
        for (String line : yaml.split("\n", -1)) {
            if (TOP_LEVEL_KEY.matcher(line).matches()) {
                inPoll = line.startsWith("poll:");
            }
            if (!inPoll) {
                kept.append(line).append('\n');
            }
        }
        return kept.toString();
    }
}
