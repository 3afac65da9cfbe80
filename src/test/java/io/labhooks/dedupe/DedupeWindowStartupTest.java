package io.labhooks.dedupe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import io.labhooks.LabhooksApplication;
import io.labhooks.config.StartupRefusal;
import io.labhooks.support.Installation;

/** A provider route whose dedupe window is not a duration stops the box at start, naming the provider and the file. */
@ExtendWith(OutputCaptureExtension.class)
class DedupeWindowStartupTest {

    @Test
    void aWindowThatIsNotADurationStopsTheBox(CapturedOutput output) throws Exception {
        String lola = Files.readString(Path.of("routes/providers/lola.camel.yaml"));
        assertThat(lola).contains("{ name: dedupeWindow, value: 7d }");
        Installation installation = Installation.copyOfShipped()
                .with("routes/providers/lola.camel.yaml", lola.replace("value: 7d }", "value: \"7 days\" }"));
        assertThatThrownBy(() -> new SpringApplicationBuilder(LabhooksApplication.class).run(
                "--server.port=0",
                "--spring.datasource.url=jdbc:h2:mem:bad-window-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                "--labhooks.routes-dir=" + installation.routes(),
                "--labhooks.mappings-dir=" + installation.mappings()))
                .isInstanceOf(StartupRefusal.class);
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START",
                "the dedupeWindow of provider lola is '7 days', not a positive duration such as 10d",
                "Correct the dedupeWindow parameter in routes/providers/lola.camel.yaml");
    }
}
