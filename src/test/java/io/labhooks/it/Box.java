package io.labhooks.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.labhooks.support.ProviderSigner;

/**
 * One labhooks box: the packaged jar ({@code java -jar target/labhooks-*.jar}) as a child process of the test JVM,
 * working directory the project base dir (so {@code routes/} and {@code mappings/} resolve), on a free port, with
 * all five providers' secrets in its environment and its output in {@code target/it-boxes/<name>.log}.
 *
 * <p>{@link #kill()} is SIGKILL ({@link Process#destroyForcibly()} on Linux): no shutdown hook, no graceful stop,
 * exactly what a crash or an OOM kill does. Every box ever started is remembered, so {@link #killAll()} (call it
 * from {@code @AfterAll}, and it also runs as a JVM shutdown hook) leaves no child behind.
 */
final class Box implements AutoCloseable {

    static final Path JAR = Path.of(System.getProperty("labhooks.it.jar", "target/labhooks-0.1.0-SNAPSHOT.jar")).toAbsolutePath();
    static final Path BASE_DIR = Path.of(System.getProperty("labhooks.it.basedir", "")).toAbsolutePath();
    static final Path OUTPUT = Path.of(System.getProperty("labhooks.it.output", "target/it-boxes")).toAbsolutePath();

    private static final Set<Box> STARTED = ConcurrentHashMap.newKeySet();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Box::killAll, "kill-labhooks-boxes"));
    }

    final String name;
    final int port;
    final URI uri;
    final Path log;
    private final Process process;

    private Box(String name, int port, Path log, Process process) {
        this.name = name;
        this.port = port;
        this.uri = URI.create("http://127.0.0.1:" + port);
        this.log = log;
        this.process = process;
    }

    /** Starts a box in the project base dir and waits until {@code /actuator/health} says UP. */
    static Box start(String name, List<String> settings) {
        return start(name, BASE_DIR, settings);
    }

    /**
     * Starts a box in {@code workingDirectory} (where its default {@code ./data} H2 database lives) and waits until
     * it is UP. Outside the project base dir it is given the project's {@code application.yaml}, {@code routes/} and
     * {@code mappings/} by absolute path.
     */
    static Box start(String name, Path workingDirectory, List<String> settings) {
        Box box = launch(name, workingDirectory, settings);
        box.awaitUp(Duration.ofSeconds(120));
        return box;
    }

    static Box launch(String name, List<String> settings) {
        return launch(name, BASE_DIR, settings);
    }

    /**
     * Starts a box without waiting for it (to start several at once; then {@link #awaitUp}). {@code settings} are
     * Spring arguments ({@code --key=value}); the port is chosen here.
     */
    static Box launch(String name, Path workingDirectory, List<String> settings) {
        boolean elsewhere = !workingDirectory.toAbsolutePath().equals(BASE_DIR);
        return launch(name, workingDirectory, settings, Map.of(), freePort(), elsewhere);
    }

    /**
     * Starts a box without waiting for it, on {@code port} (a restarted box keeps its port, as it would in
     * production), with {@code environment} added to the hermetic environment. With {@code projectFiles}, a box
     * outside the project base dir is given the project's application.yaml, routes/ and mappings/ by absolute path;
     * without, it has only what the jar and {@code settings} give it.
     */
    static Box launch(String name, Path workingDirectory, List<String> settings, Map<String, String> environment,
                      int port, boolean projectFiles) {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException("No packaged jar at " + JAR + ": run mvn package (or mvn verify) first");
        }
        try {
            Files.createDirectories(OUTPUT);
            Path log = OUTPUT.resolve(name + ".log");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    // A test box, not a production tuning: quicker start on a small, busy machine.
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m",
                    "-jar", JAR.toString(),
                    "--server.port=" + port));
            if (projectFiles) {
                command.add("--spring.config.additional-location=file:" + BASE_DIR.resolve("application.yaml"));
                command.add("--labhooks.routes-dir=" + BASE_DIR.resolve("routes"));
                command.add("--labhooks.mappings-dir=" + BASE_DIR.resolve("mappings"));
            }
            command.addAll(settings);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workingDirectory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Map<String, String> env = builder.environment();
            // Hermetic: nothing from the developer's shell (LABHOOKS_DB_URL, a real sink URL, PORT...) leaks in.
            env.keySet().removeIf(key -> key.startsWith("LABHOOKS_") || key.equals("PORT")
                    || key.endsWith("_WEBHOOK_SECRET") || key.endsWith("_WEBHOOK_TOKEN") || key.equals("FULLSCRIPT_CHALLENGE_TOKEN"));
            for (String secret : ProviderSigner.secretProperties()) {
                String[] pair = secret.split("=", 2);
                env.put(pair[0], pair[1]);
            }
            env.putAll(environment);
            Files.writeString(log, "\n===== " + java.time.Instant.now() + " " + environment.keySet() + " " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Box box = new Box(name, port, log, builder.start());
            STARTED.add(box);
            return box;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a box that should refuse to start to exit; its exit code. Fails if it is still running. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                throw new IllegalStateException("box " + name + " was still running after " + timeout + ":\n" + logTail());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        STARTED.remove(this);
        return process.exitValue();
    }

    /** This box's log since its last start. */
    String logOfThisRun() {
        try {
            String all = Files.readString(log, StandardCharsets.UTF_8);
            return all.substring(Math.max(0, all.lastIndexOf("\n===== ")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the box's health endpoint answers UP; fails early, with the end of its log, if it died. */
    void awaitUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest health = HttpRequest.newBuilder(uri.resolve("/actuator/health")).timeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("box " + name + " exited with " + process.exitValue() + " before it was UP:\n" + logTail());
            }
            try {
                HttpResponse<String> answer = HTTP.send(health, HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200 && answer.body().startsWith("{\"status\":\"UP\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(250);
        }
        kill();
        throw new IllegalStateException("box " + name + " was not UP within " + timeout + ":\n" + logTail());
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL, then wait until the process is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("box " + name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        STARTED.remove(this);
    }

    /** Only sends SIGKILL: for killing at an exact moment, then {@link #kill()} to wait for it. */
    void sigkill() {
        process.destroyForcibly();
    }

    @Override
    public void close() {
        kill();
    }

    /** Kills every box this JVM started that is still running. */
    static void killAll() {
        for (Box box : List.copyOf(STARTED)) {
            try {
                box.kill();
            } catch (RuntimeException e) {
                System.err.println("could not kill box " + box.name + ": " + e);
            }
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + "@" + port + " (pid " + process.pid() + ")";
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
