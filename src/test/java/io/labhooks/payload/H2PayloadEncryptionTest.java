package io.labhooks.payload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Raw payloads at rest in the embedded database's file, kept across the boxes of the test. */
class H2PayloadEncryptionTest extends PayloadEncryptionTest {

    private final Path data = temporaryFolder();

    @Override
    List<String> database() {
        return List.of("--spring.datasource.url=jdbc:h2:file:" + data.resolve("labhooks") + ";LOCK_TIMEOUT=10000");
    }

    private static Path temporaryFolder() {
        try {
            return Files.createTempDirectory("labhooks-payload-encryption");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
