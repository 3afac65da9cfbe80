package io.labhooks.normalise;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import com.dashjoin.jsonata.JException;
import com.dashjoin.jsonata.Jsonata;
import io.micrometer.core.instrument.Counter;
import org.apache.camel.component.jsonata.JsonataFrameBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mapping file as it changes on disk. It is looked at again when an event needs it and at least
 * {@link #LOOK_INTERVAL} has passed since the last look: the whole file is read and compared with what the last look
 * found (a few kilobytes once a second, and no file system's time stamp granularity can hide an edit). Content that
 * differs is a new version, taken if it parses. One that is empty, unreadable (gone) or does not parse is refused:
 * one ERROR line naming the file (never its content), counted in {@code labhooks.mappings.refused}, and the version
 * in use stays until a good one arrives. With no version in use (broken or missing from the start) the events fail
 * with the reason, to be retried.
 *
 * <p>A taken version is parsed once and serves every event after it: jsonata-java 0.9.10 keeps no state in a parsed
 * expression between evaluations (0.9.9 did, and each evaluation was a little slower than the last).
 */
final class MappingFile {

    static final Duration LOOK_INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(MappingFile.class);

    /** What a look found: the file's text, or why it could not be read. */
    private record Content(String text, String unreadable) {
    }

    private final Path path;
    private final String name;
    private final Clock clock;
    private final Counter refused;

    private Instant lookedAt;
    private Content seen;
    /** The version in use, when it was taken, and its parse. */
    private String taken;
    private Instant takenAt;
    private Jsonata parsed;
    /** Why there is no version in use, while there is none. */
    private String unusable;
    /** Why the content last seen on disk was refused, while it is. */
    private String refusedNow;

    MappingFile(Path path, String name, Clock clock, Counter refused) {
        this.path = path;
        this.name = name;
        this.clock = clock;
        this.refused = refused;
    }

    /** The version in use applied to the input, in the given frame; one evaluation at a time per file. */
    synchronized Object evaluate(Object input, JsonataFrameBinding frameBinding) throws IOException {
        Instant now = clock.instant();
        if (lookedAt == null || !now.isBefore(lookedAt.plus(LOOK_INTERVAL)) || now.isBefore(lookedAt)) {
            look(now);
        }
        if (taken == null) {
            throw new IOException("mapping file " + name + " " + unusable);
        }
        if (parsed == null) {
            parsed = Jsonata.jsonata(taken);
        }
        Jsonata.Frame frame = parsed.createFrame();
        frameBinding.bindToFrame(frame);
        return parsed.evaluate(input, frame);
    }

    /** Looks at the file at once, and parses the version in use afresh for the next event. */
    synchronized void lookNow() {
        look(clock.instant());
        parsed = null;
    }

    /**
     * Why the file as it is on disk now is refused, with what is used instead, or empty when its content is the
     * version in use. Looks at the file at once, as {@link #lookNow()}.
     */
    synchronized Optional<String> refusalNow() {
        lookNow();
        if (refusedNow == null) {
            return Optional.empty();
        }
        return Optional.of("mapping file " + name + " " + refusedNow + ": refused, "
                + (taken == null ? "and there is no earlier version to use" : "the version taken at " + takenAt + " stays in use"));
    }

    private void look(Instant now) {
        lookedAt = now;
        Content content = read();
        if (content.equals(seen)) {
            return;
        }
        seen = content;
        if (content.unreadable() != null) {
            refuse("cannot be read (" + content.unreadable() + ")");
            return;
        }
        if (content.text().isBlank()) {
            refuse("is empty");
            return;
        }
        Jsonata expression;
        try {
            expression = Jsonata.jsonata(content.text());
        } catch (JException e) {
            refuse("does not parse (JSONata error " + e.getError() + " at character " + e.getLocation() + ")");
            return;
        } catch (RuntimeException e) {
            refuse("does not parse (" + e.getClass().getSimpleName() + ")");
            return;
        }
        log.info(taken == null ? "Mapping file {} loaded" : "Mapping file {} changed: the new version is in use", name);
        taken = content.text();
        takenAt = now;
        parsed = expression;
        unusable = null;
        refusedNow = null;
    }

    private Content read() {
        try {
            return new Content(Files.readString(path), null);
        } catch (IOException e) {
            return new Content(null, e.getClass().getSimpleName());
        }
    }

    private void refuse(String problem) {
        refused.increment();
        refusedNow = problem;
        if (taken == null) {
            unusable = problem;
            log.error("Mapping file {} {}: refused, and with no earlier version its events fail until it is fixed", name, problem);
        } else {
            log.error("Mapping file {} {}: refused, the version taken at {} stays in use until it is fixed", name, problem, takenAt);
        }
    }
}
