package io.labhooks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar} from a directory that holds nothing of the project: every default comes from the jar, and the
 * routes and mappings from the folders the operator names. Without them the box refuses to start with one line
 * naming the folder it looked for and the setting, instead of a stack trace (or, before, a NullPointerException).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StartAnywhereIT {

    @AfterAll
    static void cleanUp() {
        Box.killAll();
    }

    static Path emptyDirectory(String prefix) throws IOException {
        Path parent = Files.createDirectories(Box.OUTPUT.getParent().resolve("it-data"));
        return Files.createTempDirectory(parent, prefix);
    }

    @Test
    void theJarRunsFromAnEmptyDirectoryWithItsBuiltInDefaults() throws IOException {
        Path home = emptyDirectory("start-anywhere-");
        Box box = Box.launch("start-anywhere", home, List.of(), Map.of(
                "LABHOOKS_ROUTES_DIR", Box.BASE_DIR.resolve("routes").toString(),
                "LABHOOKS_MAPPINGS_DIR", Box.BASE_DIR.resolve("mappings").toString()), Box.freePort(), false);
        box.awaitUp(Duration.ofSeconds(120));

        TestWebhook webhook = TestWebhook.of("lola");
        assertThat(webhook.send(box.uri).status()).as("a signed Lola webhook is accepted").isEqualTo(202);
        // The default database (./data/labhooks, from the jar's defaults) in the empty directory, and the JDBC sink
        // on by default: the event reaches lab_event_feed there.
        Sql sql = new Sql("jdbc:h2:file:" + home.resolve("data/labhooks") + ";AUTO_SERVER=TRUE", "sa", "");
        Ledger.await("the event in lab_event_feed", Duration.ofSeconds(30),
                () -> sql.count("SELECT COUNT(*) FROM lab_event_feed WHERE provider = 'lola'") == 1,
                () -> sql.statuses("inbound_event"));
        assertThat(Files.list(home).map(p -> p.getFileName().toString()).toList()).as("what the box wrote there").containsExactly("data");
        box.kill();
    }

    @Test
    void withoutTheRoutesFolderTheBoxRefusesToStartWithOneLine() throws IOException {
        Box box = Box.launch("start-anywhere-no-routes", emptyDirectory("no-routes-"), List.of(), Map.of(), Box.freePort(), false);
        assertThat(box.awaitExit(Duration.ofSeconds(120))).as("exit code").isNotZero();
        String log = box.logOfThisRun();
        assertThat(log).contains("labhooks.routes-dir (LABHOOKS_ROUTES_DIR) is 'routes': ")
                .contains("/routes is not a folder")
                .contains("Point LABHOOKS_ROUTES_DIR at the folder holding the YAML routes")
                .doesNotContain("NullPointerException")
                .doesNotContain("\tat ");
    }

    @Test
    void aMissingMappingsFolderIsNamedWithItsSetting() throws IOException {
        Path missing = Box.OUTPUT.resolve("no-such-mappings");
        Box box = Box.launch("start-anywhere-no-mappings", emptyDirectory("no-mappings-"), List.of(), Map.of(
                "LABHOOKS_ROUTES_DIR", Box.BASE_DIR.resolve("routes").toString(),
                "LABHOOKS_MAPPINGS_DIR", missing.toString()), Box.freePort(), false);
        assertThat(box.awaitExit(Duration.ofSeconds(120))).as("exit code").isNotZero();
        assertThat(box.logOfThisRun()).contains("labhooks.mappings-dir (LABHOOKS_MAPPINGS_DIR) is '" + missing + "': "
                + missing + " is not a folder").doesNotContain("\tat ");
    }
}
