package io.labhooks.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

import io.labhooks.bench.LoadGenerator.Phase;
import io.labhooks.bench.LoadGenerator.Result;
import io.labhooks.bench.LoadGenerator.Traffic;

/**
 * The full benchmark (bench/run): for each scenario, starts the packaged box as its own JVM on a fresh database,
 * drives it over loopback, waits for every acknowledged webhook to reach lab_event_feed and the HTTP sink, and
 * prints one table. The bare-route baseline runs first in the same JVM settings with the same load generator, and
 * every throughput is also given as a ratio of it. Exits 1 if any acknowledged event was lost or a target missed
 * is not just a figure but a loss; figures alone never fail the run.
 */
public final class Bench {

    record Scenario(String name, String title, List<String> providers, double duplicates, boolean postgres,
                    boolean burst, boolean backlog) {
        Scenario(String name, String title, List<String> providers, double duplicates, boolean postgres, boolean burst) {
            this(name, title, providers, duplicates, postgres, burst, false);
        }
    }

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        add(new Scenario("single", "one provider (lola), steady", List.of("lola"), 0, false, false));
        add(new Scenario("mixed", "all five providers mixed", Webhooks.PROVIDERS, 0, false, false));
        add(new Scenario("burst", "all five, 10x burst (100/s -> 1000/s for 5 s)", Webhooks.PROVIDERS, 0, false, true));
        add(new Scenario("duplicates", "all five, 10% resent duplicates", Webhooks.PROVIDERS, 0.10, false, false));
        add(new Scenario("postgres", "all five mixed, PostgreSQL", Webhooks.PROVIDERS, 0, true, false));
        // not in the default list: each queues and drains over 100,000 events (several minutes)
        add(new Scenario("backlog", "a queued backlog released, H2", Webhooks.PROVIDERS, 0, false, false, true));
        add(new Scenario("backlog-postgres", "a queued backlog released, PostgreSQL", Webhooks.PROVIDERS, 0, true, false, true));
    }

    private static void add(Scenario s) {
        SCENARIOS.put(s.name(), s);
    }

    /** One row of the table. */
    static final class Row {
        final String scenario;
        final String title;
        double ackPerSecond;
        double ratio = Double.NaN;
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        double p999 = Double.NaN;
        String latencyAt = "";
        double e2eJdbc = Double.NaN;
        double e2eHttp = Double.NaN;
        double drainSeconds = Double.NaN;
        double drainRate = Double.NaN;
        /** backlog scenarios: the HTTP sink's rate over the first and the last window of the backlog. */
        double drainHead = Double.NaN;
        double drainTail = Double.NaN;
        long rssMb;
        double startupSeconds;
        /** CPU time per event from the closed loop's start until its events were delivered: the box, PostgreSQL. */
        double boxCpuMs = Double.NaN;
        double dbCpuMs = Double.NaN;
        long acked;
        long lostJdbc;
        long lostHttp;
        long errors;
        long resends;
        long httpPosts;
        long badSignatures;
        String notes = "";

        Row(String scenario, String title) {
            this.scenario = scenario;
            this.title = title;
        }
    }

    /** The JVM settings of every box, baseline included; with MALLOC_ARENA_MAX=2 in its environment. */
    static final String DEFAULT_JVM = "-Xmx256m -Xss512k -XX:+UseSerialGC -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=192m -Djdk.nio.maxCachedBufferSize=262144 -XX:TrimNativeHeapInterval=5000";

    // settings
    private final Path project;
    private final Path jar;
    private final List<String> jvmOptions;
    private final double seconds;
    private final double warmupSeconds;
    private final int connections;
    private final double rate;
    private final String pgUrl;
    private final String pgUser;
    private final Path jfrDir;
    private final Path workDir;
    private final int backlog;
    private final int backlogWarmup;
    /** Arguments given to every box but the baseline, to try a setting: --box='--labhooks.pipeline.batch-size=500'. */
    private final List<String> boxArgs;

    Bench(Map<String, String> options) throws IOException {
        project = Path.of(options.getOrDefault("project", ".")).toAbsolutePath().normalize();
        jar = project.resolve(options.getOrDefault("jar", "target/labhooks-0.1.0-SNAPSHOT.jar"));
        jvmOptions = List.of(options.getOrDefault("jvm", DEFAULT_JVM).trim().split("\\s+"));
        seconds = Double.parseDouble(options.getOrDefault("seconds", "20"));
        warmupSeconds = Double.parseDouble(options.getOrDefault("warmup", "10"));
        connections = Integer.parseInt(options.getOrDefault("connections", "32"));
        rate = Double.parseDouble(options.getOrDefault("rate", "500"));
        pgUrl = options.getOrDefault("pg-url", "jdbc:postgresql://127.0.0.1:5432/test");
        pgUser = options.getOrDefault("pg-user", "postgres");
        jfrDir = options.containsKey("jfr") ? Path.of(options.get("jfr")).toAbsolutePath() : null;
        workDir = project.resolve("bench/target/work");
        backlog = Integer.parseInt(options.getOrDefault("backlog", "100000"));
        backlogWarmup = Integer.parseInt(options.getOrDefault("backlog-warmup", "10000"));
        String box = options.getOrDefault("box", "").trim();
        boxArgs = box.isEmpty() ? List.of() : List.of(box.split("\\s+"));
        Files.createDirectories(workDir);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            if (!arg.startsWith("--") || !arg.contains("=")) {
                System.err.println("usage: Bench [--scenarios=single,mixed,burst,duplicates,postgres,backlog,backlog-postgres]"
                        + " [--seconds=20] [--warmup=10] [--connections=32] [--rate=500] [--backlog=100000]"
                        + " [--backlog-warmup=10000] [--jvm='<flags>'] [--box='<box arguments>'] [--jfr=dir] [--project=.]");
                System.exit(2);
            }
            options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        }
        List<String> names = List.of(options.getOrDefault("scenarios", "single,mixed,burst,duplicates,postgres").split(","));
        Bench bench = new Bench(options);
        System.out.printf(Locale.ROOT, "labhooks benchmark: %s%n  jvm %s, %d connections closed loop for %.0f s (after %.0f s"
                        + " warm-up), open loop at %.0f/s for %.0f s%n", bench.jar.getFileName(), bench.jvmOptions,
                bench.connections, bench.seconds, bench.warmupSeconds, bench.rate, bench.seconds);
        Row baseline = bench.baseline();
        List<Row> rows = new ArrayList<>();
        rows.add(baseline);
        for (String name : names) {
            Scenario scenario = SCENARIOS.get(name.trim());
            if (scenario == null) {
                continue;
            }
            if (scenario.postgres()) {
                rows.add(bench.pgbench(baseline));
            }
            Row row = scenario.backlog() ? bench.backlog(scenario) : bench.run(scenario);
            row.ratio = row.ackPerSecond / baseline.ackPerSecond;
            if (scenario.postgres() && !Double.isNaN(bench.pgbenchTps)) {
                row.notes = (row.notes.isEmpty() ? "" : row.notes + "; ")
                        + String.format(Locale.ROOT, "acked/s %.2f of pgbench", row.ackPerSecond / bench.pgbenchTps);
            }
            rows.add(row);
        }
        String table = table(rows);
        System.out.println();
        System.out.println(table);
        Path out = bench.project.resolve("bench/target/results-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".md");
        Files.writeString(out, table);
        System.out.println("(also written to " + bench.project.relativize(out) + ")");
        boolean lost = rows.stream().anyMatch(r -> r.lostJdbc > 0 || r.lostHttp > 0 || r.badSignatures > 0);
        if (lost) {
            System.out.println("FAILED: acknowledged events were lost (see the lost columns)");
            System.exit(1);
        }
        System.out.println("OK: every acknowledged event reached lab_event_feed and the HTTP sink");
    }

    /** The bare platform-http route (bench/baseline-routes), same jar, same JVM flags, same load. */
    Row baseline() throws Exception {
        System.out.println("\n== baseline: bare platform-http route answering 202");
        Webhooks webhooks = new Webhooks(project.resolve("mappings"), runId());
        Traffic traffic = new Traffic(webhooks, List.of("lola"), 0);
        Row row = new Row("baseline", "bare platform-http route, 202, nothing done");
        Map<String, String> env = new HashMap<>();
        env.put("LABHOOKS_ROUTES_DIR", "bench/baseline-routes");
        env.put("LABHOOKS_DB_URL", "jdbc:h2:mem:baseline");
        env.put("LABHOOKS_JDBC_SINK_ENABLED", "false");
        try (Box box = Box.start(this, "baseline", env, traffic)) {
            row.startupSeconds = box.startupSeconds;
            LoadGenerator load = new LoadGenerator("127.0.0.1", box.port);
            System.out.println("  " + load.closedLoop("warm-up", traffic, connections, warmupSeconds, Long.MAX_VALUE));
            Result max = load.closedLoop("closed loop", traffic, connections, seconds, Long.MAX_VALUE);
            System.out.println("  " + max);
            row.ackPerSecond = max.perSecond();
            row.errors += max.errors();
            Result open = load.openLoop(traffic, connections, List.of(new Phase("open loop", rate, seconds))).get(0);
            System.out.println("  " + open);
            latency(row, open, rate);
            row.errors += open.errors();
            row.rssMb = box.peakRssMb();
        }
        row.ratio = 1.0;
        return row;
    }

    /** PostgreSQL alone running the acknowledgement's transaction (see {@link PgBench}), once per run. */
    Row pgbench(Row baseline) throws Exception {
        System.out.println("\n== pgbench: the acknowledgement's two inserts and commit, PostgreSQL alone");
        Row row = new Row("pgbench", "PostgreSQL alone: the ack's two inserts, one commit");
        if (Double.isNaN(pgbenchTps)) {
            pgbenchTps = PgBench.run(pgUrl, pgUser, connections, seconds, workDir, runId());
        }
        row.ackPerSecond = pgbenchTps;
        row.ratio = pgbenchTps / baseline.ackPerSecond;
        return row;
    }

    private double pgbenchTps = Double.NaN;

    Row run(Scenario scenario) throws Exception {
        System.out.println("\n== " + scenario.name() + ": " + scenario.title());
        String run = runId();
        Webhooks webhooks = new Webhooks(project.resolve("mappings"), run);
        Traffic traffic = new Traffic(webhooks, scenario.providers(), scenario.duplicates());
        Row row = new Row(scenario.name(), scenario.title());
        Database db = database(scenario, run);
        Map<String, String> env = new HashMap<>(db.env());
        try (SinkReceiver receiver = new SinkReceiver(webhooks)) {
            env.put("LABHOOKS_HTTP_SINK_URL", receiver.url());
            try (Box box = Box.start(this, scenario.name(), env, traffic, db.args().toArray(String[]::new));
                 Feed feed = new Feed(db.url(), db.user(), webhooks)) {
                row.startupSeconds = box.startupSeconds;
                LoadGenerator load = new LoadGenerator("127.0.0.1", box.port);
                System.out.println("  " + load.closedLoop("warm-up", traffic, connections, warmupSeconds, Long.MAX_VALUE));
                drain(traffic, feed, receiver, 180);

                // most the box acknowledges, then how fast that backlog reaches the sinks
                int before = traffic.acknowledged().cardinality();
                double boxCpuBefore = box.cpuSeconds();
                double dbCpuBefore = scenario.postgres() ? postgresCpuSeconds() : Double.NaN;
                long start = System.nanoTime();
                Result max = load.closedLoop("closed loop", traffic, connections, seconds, Long.MAX_VALUE);
                System.out.println("  " + max);
                row.ackPerSecond = max.perSecond();
                row.errors += max.errors();
                long loadEnd = System.nanoTime();
                long backlog = traffic.acknowledged().cardinality() - feed.count();
                long[] arrived = drain(traffic, feed, receiver, 300);
                row.drainRate = backlog * 1e9 / Math.max(1, arrived[0] - loadEnd);
                int events = traffic.acknowledged().cardinality() - before;
                row.boxCpuMs = (box.cpuSeconds() - boxCpuBefore) * 1000 / events;
                row.dbCpuMs = (postgresCpuSeconds() - dbCpuBefore) * 1000 / events;
                row.e2eJdbc = events * 1e9 / (arrived[0] - start);
                row.e2eHttp = events * 1e9 / (arrived[1] - start);
                row.drainSeconds = (Math.max(arrived[0], arrived[1]) - start - max.nanos()) / 1e9;
                System.out.printf(Locale.ROOT, "  end to end: %d events, lab_event_feed %.0f/s, HTTP sink %.0f/s, last one"
                        + " %.1f s after the load stopped; the %d left then went into lab_event_feed at %.0f/s%n", events,
                        row.e2eJdbc, row.e2eHttp, row.drainSeconds, backlog, row.drainRate);
                System.out.printf(Locale.ROOT, "  CPU per event, closed loop until delivered: box %.2f ms%s%n", row.boxCpuMs,
                        scenario.postgres() ? String.format(Locale.ROOT, ", PostgreSQL %.2f ms", row.dbCpuMs) : "");

                // latency at a fixed rate (open loop)
                List<Phase> phases = scenario.burst()
                        ? List.of(new Phase("steady 100/s", 100, 10), new Phase("burst 1000/s", 1000, 5),
                        new Phase("after 100/s", 100, 10))
                        : List.of(new Phase("open loop " + (int) rate + "/s", rate, seconds));
                long openStart = System.nanoTime();
                List<Result> open = load.openLoop(traffic, connections, phases);
                long openEnd = System.nanoTime();
                for (Result r : open) {
                    System.out.println("  " + r);
                    row.errors += r.errors();
                }
                if (scenario.burst()) {
                    latency(row, open.get(1), 1000);
                } else {
                    latency(row, open.get(0), rate);
                }
                drain(traffic, feed, receiver, 300);
                if (!scenario.burst()) {
                    ackToSink(row, traffic, receiver, openStart, openEnd);
                }

                verify(row, traffic, feed, receiver);
                row.rssMb = box.peakRssMb();
            }
        } finally {
            db.drop();
        }
        return row;
    }

    /**
     * PostgreSQL's counts at one moment: commits in the database, rows written per table of the box's schema, and
     * statements run in the database (BEGIN and COMMIT aside; -1 unless the server loads pg_stat_statements).
     */
    record WriteCounts(long commits, Map<String, Long> rows, long statements) {
        long rowsWritten() {
            return rows.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Per table, the rows written since {@code before} per event, most first, tables with none left out. */
        String perTable(WriteCounts before, int events) {
            return rows.entrySet().stream()
                    .map(e -> Map.entry(e.getKey(), (e.getValue() - before.rows().getOrDefault(e.getKey(), 0L)) / (double) events))
                    .filter(e -> e.getValue() >= 0.005)
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
                    .collect(Collectors.joining(", "));
        }
    }

    /** A scenario's fresh database: the box's environment and arguments for it, and how to read it afterwards. */
    record Database(String url, String user, String schema, Path h2File, Map<String, String> env, List<String> args,
                    Bench bench) {
        /** What the database takes on disk now: the H2 file, or the schema's tables and indexes. */
        long megabytes() throws Exception {
            if (h2File != null) {
                return Files.size(h2File) / (1024 * 1024);
            }
            try (Connection c = DriverManager.getConnection(bench.pgUrl, bench.pgUser, "");
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                         + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + schema + "' AND c.relkind = 'r'")) {
                rs.next();
                return rs.getLong(1) / (1024 * 1024);
            }
        }

        /**
         * PostgreSQL's own count of the work done so far: commits in the whole database (the benchmark's reads of
         * lab_event_feed count too, a few a second), and rows inserted, updated or deleted in this schema's tables.
         * A busy backend publishes them once a second at most, an idle one within 10 s: read over a long drain.
         */
        WriteCounts writeCounts() throws Exception {
            try (Connection c = DriverManager.getConnection(bench.pgUrl, bench.pgUser, "");
                 Statement s = c.createStatement()) {
                long commits;
                try (ResultSet rs = s.executeQuery("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
                    rs.next();
                    commits = rs.getLong(1);
                }
                Map<String, Long> rows = new TreeMap<>();
                try (ResultSet rs = s.executeQuery("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"
                        + " WHERE schemaname = '" + schema + "'")) {
                    while (rs.next()) {
                        rows.put(rs.getString(1), rs.getLong(2));
                    }
                }
                long statements = -1;
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        try (ResultSet calls = s.executeQuery("SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements"
                                + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                                + " AND query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK', 'END')")) {
                            calls.next();
                            statements = calls.getLong(1);
                        }
                    }
                } catch (java.sql.SQLException notLoaded) {
                    statements = -1; // the extension is created but the server does not load the library
                }
                return new WriteCounts(commits, rows, statements);
            }
        }

        void drop() throws Exception {
            if (schema != null) {
                try (Connection c = DriverManager.getConnection(bench.pgUrl, bench.pgUser, "");
                     Statement s = c.createStatement()) {
                    s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                }
            }
        }
    }

    private Database database(Scenario scenario, String run) throws Exception {
        if (scenario.postgres()) {
            warnWithoutAutovacuum();
            String schema = "labhooks_bench_" + run;
            String url = pgUrl + (pgUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
            return new Database(url, pgUser, schema, null, Map.of("LABHOOKS_DB_URL", url, "LABHOOKS_DB_USERNAME", pgUser),
                    List.of("--spring.flyway.schemas=" + schema, "--spring.flyway.create-schemas=true"), this);
        }
        Path dir = Files.createTempDirectory(workDir, "h2-" + run + "-");
        String url = "jdbc:h2:file:" + dir.resolve("labhooks") + ";LOCK_TIMEOUT=10000;AUTO_SERVER=TRUE";
        return new Database(url, "sa", null, dir.resolve("labhooks.mv.db"), Map.of("LABHOOKS_DB_URL", url), List.of(), this);
    }

    /**
     * A backlog released: a box whose pipeline is held (its pollers run once at start, then not for a day) acknowledges
     * {@code backlogWarmup + backlog} webhooks and stops; the box as configured then starts on that database and
     * drains it. The warm-up events are the oldest, so they are drained first, and the backlog's own events are timed
     * on a warmed-up JVM: its first 1,000 with about {@code backlog} still waiting behind them, its last but one
     * 1,000 with 2,000 to 1,000 waiting, at the HTTP sink (each arrival is timed) and in lab_event_feed.
     */
    Row backlog(Scenario scenario) throws Exception {
        System.out.println("\n== " + scenario.name() + ": " + scenario.title() + ", " + backlog + " events after "
                + backlogWarmup + " to warm up");
        String run = runId();
        Webhooks webhooks = new Webhooks(project.resolve("mappings"), run);
        Traffic traffic = new Traffic(webhooks, scenario.providers(), scenario.duplicates());
        Row row = new Row(scenario.name(), scenario.title());
        Database db = database(scenario, run);
        Map<String, String> env = new HashMap<>(db.env());
        try (SinkReceiver receiver = new SinkReceiver(webhooks)) {
            env.put("LABHOOKS_HTTP_SINK_URL", receiver.url());
            List<String> held = new ArrayList<>(db.args());
            held.add("--labhooks.pipeline.poll-interval-ms=86400000");
            try (Box box = Box.start(this, scenario.name() + "-held", env, traffic, held.toArray(String[]::new))) {
                Result queued = new LoadGenerator("127.0.0.1", box.port).closedLoop("queued, pipeline held", traffic,
                        connections, 3600, backlogWarmup + backlog);
                System.out.println("  " + queued);
                row.ackPerSecond = queued.perSecond();
                row.errors += queued.errors();
            }
            int warmed = backlogWarmup + 1; // the held box's start-up probe is the very first event
            try (Box box = Box.start(this, scenario.name(), env, traffic, db.args().toArray(String[]::new));
                 Feed feed = new Feed(db.url(), db.user(), webhooks)) {
                row.startupSeconds = box.startupSeconds;
                int expected = traffic.acknowledged().cardinality();
                int end = expected - 1; // the released box's own start-up probe is the last
                // CPU is sampled as the HTTP sink's count passes the backlog's first and last event
                double boxCpuAtStart = Double.NaN, dbCpuAtStart = Double.NaN;
                WriteCounts writesAtStart = null;
                String writesPerTable = "";
                int countAtStart = 0;
                double commitsPerEvent = Double.NaN, rowWritesPerEvent = Double.NaN, statementsPerEvent = Double.NaN;
                long deadline = System.nanoTime() + 1_800_000_000_000L;
                long feedDoneAt = 0;
                while (System.nanoTime() < deadline) {
                    int delivered = receiver.distinctEvents();
                    if (Double.isNaN(boxCpuAtStart) && delivered >= warmed) {
                        boxCpuAtStart = box.cpuSeconds();
                        dbCpuAtStart = scenario.postgres() ? postgresCpuSeconds() : Double.NaN;
                        writesAtStart = scenario.postgres() ? db.writeCounts() : null;
                        countAtStart = delivered;
                    }
                    if (feedDoneAt == 0 && feed.count() >= expected) {
                        feedDoneAt = System.nanoTime();
                    }
                    if (feedDoneAt != 0 && delivered >= expected) {
                        int events = delivered - countAtStart;
                        row.boxCpuMs = (box.cpuSeconds() - boxCpuAtStart) * 1000 / events;
                        row.dbCpuMs = scenario.postgres() ? (postgresCpuSeconds() - dbCpuAtStart) * 1000 / events : Double.NaN;
                        if (writesAtStart != null) {
                            Thread.sleep(11_000); // a backend gone idle publishes its last counts within 10 s
                            WriteCounts writes = db.writeCounts();
                            commitsPerEvent = (double) (writes.commits() - writesAtStart.commits()) / events;
                            rowWritesPerEvent = (double) (writes.rowsWritten() - writesAtStart.rowsWritten()) / events;
                            writesPerTable = writes.perTable(writesAtStart, events);
                            if (writes.statements() >= 0 && writesAtStart.statements() >= 0) {
                                statementsPerEvent = (double) (writes.statements() - writesAtStart.statements()) / events;
                            }
                        }
                        break;
                    }
                    Thread.sleep(250);
                }
                row.drainRate = rate(receiver, warmed, end);
                row.drainHead = rate(receiver, warmed, warmed + 1000);
                row.drainTail = rate(receiver, end - 2000, end - 1000);
                row.e2eHttp = rate(receiver, 1, expected);
                long feedNanos = feedDoneAt - receiver.arrivalNanos(1);
                row.e2eJdbc = feedDoneAt == 0 ? Double.NaN : (expected - 1) * 1e9 / feedNanos;
                row.drainSeconds = (receiver.lastArrivalNanos() - receiver.arrivalNanos(1)) / 1e9;
                System.out.printf(Locale.ROOT, "  drained %d events in %.1f s (HTTP sink, from the first arrival): the backlog's"
                                + " %d at %.0f/s; its first 1,000 at %.0f/s, its last but one 1,000 at %.0f/s (first/last %.2f);"
                                + " everything at %.0f/s to the HTTP sink, %.0f/s to lab_event_feed%n", expected,
                        row.drainSeconds, end - warmed, row.drainRate, row.drainHead, row.drainTail,
                        row.drainHead / row.drainTail, row.e2eHttp, row.e2eJdbc);
                StringBuilder curve = new StringBuilder();
                for (int tenth = 0; tenth < 10; tenth++) {
                    int from = warmed + (end - warmed) * tenth / 10;
                    int to = warmed + (end - warmed) * (tenth + 1) / 10;
                    curve.append(String.format(Locale.ROOT, " %.0f", rate(receiver, from, to)));
                }
                System.out.println("  the backlog's tenths, first to last, events/s at the HTTP sink:" + curve);
                System.out.printf(Locale.ROOT, "  CPU per event while the backlog drained: box %.2f ms%s%n", row.boxCpuMs,
                        scenario.postgres() ? String.format(Locale.ROOT, ", PostgreSQL %.2f ms", row.dbCpuMs) : "");
                row.notes = String.format(Locale.ROOT, "backlog drain %.0f/s, first 1,000 %.0f/s, last 1,000 %.0f/s",
                        row.drainRate, row.drainHead, row.drainTail);
                if (!Double.isNaN(commitsPerEvent)) {
                    System.out.printf(Locale.ROOT, "  PostgreSQL's work per event while the backlog drained: %.2f commits, %.1f rows"
                            + " inserted, updated or deleted (%s)%n", commitsPerEvent, rowWritesPerEvent, writesPerTable);
                    row.notes += String.format(Locale.ROOT, "; %.2f commits, %.1f row writes per event", commitsPerEvent,
                            rowWritesPerEvent);
                    if (!Double.isNaN(statementsPerEvent)) {
                        System.out.printf(Locale.ROOT, "  statements per event while the backlog drained (pg_stat_statements,"
                                + " BEGIN and COMMIT aside): %.1f%n", statementsPerEvent);
                        row.notes += String.format(Locale.ROOT, ", %.1f statements", statementsPerEvent);
                    }
                }
                verify(row, traffic, feed, receiver);
                row.rssMb = box.peakRssMb();
                long megabytes = db.megabytes();
                System.out.printf("  the database takes %d MB after the drain%n", megabytes);
                row.notes += String.format(Locale.ROOT, "; database %d MB after", megabytes);
            }
        } finally {
            db.drop();
        }
        return row;
    }

    /**
     * The queues are tables whose rows are updated several times each; without autovacuum (PostgreSQL's default is
     * on, this project's CI server has it off) their dead rows pile up and a long run slows for that reason alone.
     */
    private void warnWithoutAutovacuum() throws Exception {
        try (Connection c = DriverManager.getConnection(pgUrl, pgUser, ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW autovacuum")) {
            rs.next();
            if (!"on".equals(rs.getString(1))) {
                System.out.println("  note: this PostgreSQL runs with autovacuum " + rs.getString(1) + "; a production server"
                        + " has it on (ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf(); to measure that)");
            }
        }
    }

    /** Distinct events per second at the HTTP sink between the {@code from}th and the {@code to}th arrival. */
    private static double rate(SinkReceiver receiver, int from, int to) {
        long a = receiver.arrivalNanos(from);
        long b = receiver.arrivalNanos(to);
        return a == 0 || b == 0 || to <= from ? Double.NaN : (to - from) * 1e9 / (b - a);
    }

    /** Nothing lost: every acknowledged token is in lab_event_feed and reached the HTTP sink, once in the feed. */
    private static void verify(Row row, Traffic traffic, Feed feed, SinkReceiver receiver) throws Exception {
        BitSet acked = traffic.acknowledged();
        BitSet inFeed = feed.tokens();
        BitSet inHttp = receiver.tokens();
        row.acked = acked.cardinality();
        row.lostJdbc = missing(acked, inFeed);
        row.lostHttp = missing(acked, inHttp);
        row.resends = traffic.resends();
        row.httpPosts = receiver.posts();
        row.badSignatures = receiver.badSignatures();
        long feedRows = feed.count();
        System.out.printf("  verified: %d events acknowledged (%d resends among the requests), %d rows in"
                        + " lab_event_feed, %d distinct on the HTTP sink (%d posts, %d bad signatures); lost: %d"
                        + " JDBC, %d HTTP%n", row.acked, row.resends, feedRows, receiver.distinctEvents(),
                row.httpPosts, row.badSignatures, row.lostJdbc, row.lostHttp);
        if (feedRows != row.acked) {
            row.notes = (row.notes.isEmpty() ? "" : row.notes + "; ") + feedRows + " feed rows for " + row.acked + " events";
        }
    }

    /**
     * For the webhooks first acknowledged during the open loop: the time from each acknowledgement to its event's
     * first arrival at the HTTP sink, over the whole phase and over its first and last tenths (a backlog that grows
     * shows as a last tenth slower than the first).
     */
    private static void ackToSink(Row row, Traffic traffic, SinkReceiver receiver, long from, long to) {
        List<long[]> pairs = new ArrayList<>(); // ack time, latency
        BitSet acked = traffic.acknowledged();
        for (int token = acked.nextSetBit(0); token >= 0; token = acked.nextSetBit(token + 1)) {
            long ackAt = traffic.acknowledgedAt(token);
            long arrivedAt = receiver.arrivedAt(token);
            if (ackAt >= from && ackAt <= to && arrivedAt > 0) {
                pairs.add(new long[] {ackAt, arrivedAt - ackAt});
            }
        }
        if (pairs.isEmpty()) {
            return;
        }
        pairs.sort(Comparator.comparingLong(pair -> pair[0]));
        int tenth = Math.max(1, pairs.size() / 10);
        double all = percentile(pairs, 99);
        double first = percentile(pairs.subList(0, tenth), 99);
        double last = percentile(pairs.subList(pairs.size() - tenth, pairs.size()), 99);
        System.out.printf(Locale.ROOT, "  acknowledgement to the HTTP sink, %d events of the open loop: p50 %.0f ms, p99 %.0f ms,"
                + " max %.0f ms; p99 of its first tenth %.0f ms, of its last tenth %.0f ms%n", pairs.size(),
                percentile(pairs, 50), all, percentile(pairs, 100), first, last);
        row.notes = (row.notes.isEmpty() ? "" : row.notes + "; ") + String.format(Locale.ROOT,
                "ack to HTTP sink at %.0f/s: p99 %.0f ms (first tenth %.0f, last tenth %.0f)", pairs.size() * 1e9 / (to - from),
                all, first, last);
    }

    private static double percentile(List<long[]> pairs, double p) {
        long[] latencies = pairs.stream().mapToLong(pair -> pair[1]).sorted().toArray();
        int index = (int) Math.ceil(p / 100.0 * latencies.length) - 1;
        return latencies[Math.max(0, Math.min(latencies.length - 1, index))] / 1e6;
    }

    private static void latency(Row row, Result r, double at) {
        row.p50 = r.percentileMillis(50);
        row.p99 = r.percentileMillis(99);
        row.p999 = r.percentileMillis(99.9);
        row.latencyAt = String.format(Locale.ROOT, "%.0f/s", at);
    }

    private static long missing(BitSet expected, BitSet found) {
        BitSet lost = (BitSet) expected.clone();
        lost.andNot(found);
        return lost.cardinality();
    }

    /**
     * Waits until every acknowledged event is in lab_event_feed and at the HTTP sink; the nanoTime each got there
     * (JDBC: first poll that saw it, 50 ms resolution; HTTP: the last arrival). Gives up after {@code timeout} s.
     */
    private static long[] drain(Traffic traffic, Feed feed, SinkReceiver receiver, int timeout) throws Exception {
        int expected = traffic.acknowledged().cardinality();
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        long jdbcAt = 0;
        while (System.nanoTime() < deadline) {
            if (jdbcAt == 0 && feed.count() >= expected) {
                jdbcAt = System.nanoTime();
            }
            if (jdbcAt != 0 && receiver.tokens().cardinality() >= expected) {
                return new long[] {jdbcAt, receiver.lastArrivalNanos()};
            }
            Thread.sleep(50);
        }
        System.out.printf("  gave up waiting after %d s: %d events acknowledged, %d in lab_event_feed, %d at the HTTP sink%n",
                timeout, expected, feed.count(), receiver.tokens().cardinality());
        long now = System.nanoTime();
        return new long[] {jdbcAt == 0 ? now : jdbcAt, now};
    }

    /**
     * CPU used so far by every PostgreSQL process on this machine, with that of the backends already gone (the
     * postmaster's reaped children): the database's share of an event's cost.
     */
    private static double postgresCpuSeconds() throws IOException {
        double total = 0;
        try (var processes = Files.list(Path.of("/proc"))) {
            for (Path dir : (Iterable<Path>) processes::iterator) {
                Path stat = dir.resolve("stat");
                if (dir.getFileName().toString().matches("\\d+") && Files.isReadable(stat)) {
                    try {
                        String line = Files.readString(stat);
                        if (line.contains("(postgres)")) {
                            total += cpuSeconds(line, true);
                        }
                    } catch (IOException gone) {
                        // the process ended while we looked
                    }
                }
            }
        }
        return total;
    }

    /** utime + stime (+ cutime + cstime) from a /proc stat line; the fields after the command name, man proc(5). */
    static double cpuSeconds(String line, boolean withChildren) {
        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
        // f[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        if (withChildren) {
            ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
        }
        return ticks / 100.0; // USER_HZ is 100 on Linux
    }

    private static String runId() {
        return String.format("%04x", ThreadLocalRandom.current().nextInt(1 << 16));
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| scenario | acked webhooks/s (closed loop) | ratio to baseline | ack p50 / p99 / p99.9 ms (at rate) |"
                + " end to end events/s: lab_event_feed / HTTP sink | drained after load | CPU ms/event: box / PostgreSQL |"
                + " peak RSS MB | startup s | acked events | lost JDBC / HTTP |\n");
        sb.append("|---|---:|---:|---|---|---:|---|---:|---:|---:|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f | %.1f / %.1f / %.1f (%s) | %s | %s | %s | %d | %.1f | %s | %s |%n",
                    r.scenario, r.ackPerSecond, r.ratio, r.p50, r.p99, r.p999, r.latencyAt,
                    Double.isNaN(r.e2eJdbc) ? "-" : String.format(Locale.ROOT, "%.0f / %.0f", r.e2eJdbc, r.e2eHttp),
                    Double.isNaN(r.drainSeconds) ? "-" : String.format(Locale.ROOT, "%.1f s (backlog at %.0f/s)",
                            r.drainSeconds, r.drainRate),
                    Double.isNaN(r.boxCpuMs) ? "-" : String.format(Locale.ROOT, "%.2f / %s", r.boxCpuMs,
                            Double.isNaN(r.dbCpuMs) ? "-" : String.format(Locale.ROOT, "%.2f", r.dbCpuMs)),
                    r.rssMb, r.startupSeconds,
                    r.acked == 0 ? "-" : Long.toString(r.acked),
                    r.acked == 0 ? "-" : (r.lostJdbc + " / " + r.lostHttp
                            + (r.errors > 0 ? " (" + r.errors + " non-2xx)" : "") + (r.notes.isEmpty() ? "" : "; " + r.notes))));
        }
        return sb.toString();
    }

    /** The packaged box as a child JVM, on a free port. */
    static final class Box implements AutoCloseable {
        final Process process;
        final int port;
        final double startupSeconds;

        private Box(Process process, int port, double startupSeconds) {
            this.process = process;
            this.port = port;
            this.startupSeconds = startupSeconds;
        }

        static Box start(Bench bench, String name, Map<String, String> env, Traffic traffic, String... args)
                throws Exception {
            int port = freePort();
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(bench.jvmOptions);
            if (bench.jfrDir != null) {
                Files.createDirectories(bench.jfrDir);
                command.add("-XX:StartFlightRecording=settings=profile,filename="
                        + bench.jfrDir.resolve(name + ".jfr") + ",dumponexit=true");
            }
            command.add("-jar");
            command.add(bench.jar.toString());
            command.add("--server.port=" + port);
            command.addAll(List.of(args));
            if (!name.equals("baseline")) {
                command.addAll(bench.boxArgs);
            }
            ProcessBuilder builder = new ProcessBuilder(command).directory(bench.project.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(bench.workDir.resolve(name + ".log").toFile());
            for (String[] pair : Webhooks.environment()) {
                builder.environment().put(pair[0], pair[1]);
            }
            // glibc's per-thread malloc arenas add tens of MB of RSS to a JVM with many threads and give little back
            builder.environment().put("MALLOC_ARENA_MAX", "2");
            builder.environment().putAll(env);
            long start = System.nanoTime();
            Process process = builder.start();
            // a benchmark stopped half way (Ctrl-C) must not leave its box running
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
            }));
            // startup: process start -> first webhook acknowledged
            long deadline = start + 120_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " box exited at startup; see bench/target/work/" + name + ".log");
                }
                try (LoadGenerator.Connection c = new LoadGenerator.Connection("127.0.0.1", port)) {
                    var webhook = traffic.next();
                    int status = c.post(webhook);
                    if (status / 100 == 2) {
                        traffic.acknowledged(webhook.token());
                        double seconds = (System.nanoTime() - start) / 1e9;
                        System.out.printf(Locale.ROOT, "  started (pid %d) in %.1f s to the first accepted webhook%n",
                                process.pid(), seconds);
                        return new Box(process, port, seconds);
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(20);
            }
            process.destroyForcibly();
            throw new IllegalStateException(name + " box did not accept a webhook within 120 s");
        }

        /** User and system CPU the box's JVM has used so far, all threads (/proc/<pid>/stat, in clock ticks). */
        double cpuSeconds() throws IOException {
            return Bench.cpuSeconds(Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat")), false);
        }

        /** VmHWM: the most resident memory the box's JVM has had so far. */
        long peakRssMb() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
            return -1;
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", 0));
                return s.getLocalPort();
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** lab_event_feed, read with the box's own JDBC driver (H2 through AUTO_SERVER, or PostgreSQL). */
    static final class Feed implements AutoCloseable {
        private final Connection connection;
        private final Webhooks webhooks;

        Feed(String url, String user, Webhooks webhooks) throws Exception {
            this.connection = DriverManager.getConnection(url, user, "");
            this.webhooks = webhooks;
        }

        long count() throws Exception {
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM lab_event_feed")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        BitSet tokens() throws Exception {
            BitSet found = new BitSet();
            try (Statement s = connection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT event_json FROM lab_event_feed")) {
                while (rs.next()) {
                    webhooks.tokensIn(rs.getString(1), token -> found.set((int) token));
                }
            }
            return found;
        }

        @Override
        public void close() throws Exception {
            connection.close();
        }
    }

}
