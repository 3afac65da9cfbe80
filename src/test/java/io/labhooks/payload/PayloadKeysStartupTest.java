package io.labhooks.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import io.labhooks.LabhooksApplication;

/** A box given a key it cannot use refuses to start, with one line naming the setting and the key id, never a key. */
@ExtendWith(OutputCaptureExtension.class)
class PayloadKeysStartupTest {

    @Test
    void aKeyOfTheWrongLengthStopsTheBoxWithItsReasonAndNoKeyMaterial(CapturedOutput output) {
        String good = PayloadKeysTest.newKey();
        String tooShort = Base64.getEncoder().encodeToString("sixteen byte key".getBytes());
        assertThatThrownBy(() -> new SpringApplicationBuilder(LabhooksApplication.class).run(
                "--server.port=0",
                "--spring.datasource.url=jdbc:h2:mem:bad-keys-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                "--labhooks.payload.keys=2026-12:" + good + ",2026-06:" + tooShort))
                .hasRootCauseInstanceOf(PayloadKeysException.class);

        assertThat(output.getAll()).contains("APPLICATION FAILED TO START", "LABHOOKS_PAYLOAD_KEYS (labhooks.payload.keys): "
                + "key '2026-06' decodes to 16 bytes; it must be exactly 32 (AES-256, e.g. openssl rand -base64 32)\n");
        assertThat(output.getAll()).doesNotContain("Started LabhooksApplication");
        PayloadEncryptionTest.assertNoKeyMaterial(output.getAll(), good, tooShort);
        assertThat(output.getAll()).doesNotContain("sixteen byte key");
    }
}
