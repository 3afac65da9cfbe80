package io.labhooks.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** An integrator's installation: a copy of the shipped routes/ and mappings/ in a folder of its own, to add to. */
public final class Installation {

    private final Path root;

    private Installation(Path root) {
        this.root = root;
    }

    public static Installation copyOfShipped() {
        try {
            Path root = Files.createTempDirectory("labhooks-installation");
            copyTree(Path.of("routes"), root.resolve("routes"));
            copyTree(Path.of("mappings"), root.resolve("mappings"));
            return new Installation(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path routes() {
        return root.resolve("routes");
    }

    public Path mappings() {
        return root.resolve("mappings");
    }

    /** Adds (or replaces) a file, e.g. "routes/providers/acme.camel.yaml". */
    public Installation with(String file, String content) {
        try {
            Files.writeString(root.resolve(file), content, StandardCharsets.UTF_8);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Installation withCopy(String file, Path source) {
        try {
            return with(file, Files.readString(source, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
