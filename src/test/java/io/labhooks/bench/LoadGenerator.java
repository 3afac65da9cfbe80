package io.labhooks.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.labhooks.bench.Webhooks.Webhook;

/**
 * Drives a box over loopback with signed webhooks, on plain keep-alive HTTP/1.1 sockets (the JDK HttpClient costs
 * several times more CPU per request, and on two cores the generator's CPU is taken from the box). Two modes:
 * closed loop (each connection sends its next webhook as soon as the last is answered: the most the box can take)
 * and open loop (webhooks are due at a fixed rate whatever the box does, and each latency is measured from when it
 * was due, so a stalled box cannot hide its stall by slowing the generator down).
 */
public final class LoadGenerator {

    /** What to send: one provider or all five in turn, and which fraction are resends of an earlier webhook. */
    public static final class Traffic {
        private final Webhooks webhooks;
        private final List<String> providers;
        private final double duplicates;
        private final AtomicLong nextSeq = new AtomicLong();
        /** Every webhook whose acknowledgement was 2xx, by token; a resend acknowledges its original's token. */
        private final BitSet acked = new BitSet();
        private final AtomicLong resends = new AtomicLong();
        /** When each token was first acknowledged, by token (0: not yet). */
        private long[] ackNanos = new long[1024];

        public Traffic(Webhooks webhooks, List<String> providers, double duplicates) {
            this.webhooks = webhooks;
            this.providers = List.copyOf(providers);
            this.duplicates = duplicates;
        }

        String providerOf(long seq) {
            return providers.get((int) (seq % providers.size()));
        }

        /** A new webhook, or (with the duplicate fraction's probability) a provider's resend of an earlier one. */
        Webhook next() {
            long issued = nextSeq.get();
            if (duplicates > 0 && issued > 10 && ThreadLocalRandom.current().nextDouble() < duplicates) {
                long earlier = ThreadLocalRandom.current().nextLong(Math.max(0, issued - 1000), issued);
                resends.incrementAndGet();
                return webhooks.webhook(providerOf(earlier), earlier);
            }
            long seq = nextSeq.getAndIncrement();
            return webhooks.webhook(providerOf(seq), seq);
        }

        synchronized void acknowledged(long token) {
            acked.set((int) token);
            if (token >= ackNanos.length) {
                ackNanos = Arrays.copyOf(ackNanos, (int) Math.max(token + 1, ackNanos.length * 2L));
            }
            if (ackNanos[(int) token] == 0) {
                ackNanos[(int) token] = System.nanoTime();
            }
        }

        /** When the token was first acknowledged (System.nanoTime), or 0. */
        public synchronized long acknowledgedAt(int token) {
            return token < ackNanos.length ? ackNanos[token] : 0;
        }

        public synchronized BitSet acknowledged() {
            return (BitSet) acked.clone();
        }

        public long resends() {
            return resends.get();
        }

        public Webhooks webhooks() {
            return webhooks;
        }
    }

    /** One phase's outcome; latencies in nanoseconds, sorted. */
    public record Result(String name, long sent, long acked, long errors, long nanos, long[] latencies) {

        public double perSecond() {
            return acked * 1e9 / nanos;
        }

        public double percentileMillis(double p) {
            if (latencies.length == 0) {
                return Double.NaN;
            }
            int index = (int) Math.ceil(p / 100.0 * latencies.length) - 1;
            return latencies[Math.max(0, Math.min(latencies.length - 1, index))] / 1e6;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d sent, %d acked, %d errors in %.1f s = %.0f/s; p50 %.1f ms, p99 %.1f ms,"
                    + " p99.9 %.1f ms, max %.1f ms", name, sent, acked, errors, nanos / 1e9, perSecond(),
                    percentileMillis(50), percentileMillis(99), percentileMillis(99.9), percentileMillis(100));
        }
    }

    private final String host;
    private final int port;

    public LoadGenerator(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Closed loop: {@code connections} senders back to back, for {@code seconds} or {@code maxRequests}, whichever first. */
    public Result closedLoop(String name, Traffic traffic, int connections, double seconds, long maxRequests)
            throws InterruptedException {
        AtomicLong budget = new AtomicLong(maxRequests);
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        Worker[] workers = new Worker[connections];
        Thread[] threads = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            Worker worker = workers[i] = new Worker(traffic);
            threads[i] = new Thread(() -> {
                while (System.nanoTime() < deadline && budget.decrementAndGet() >= 0) {
                    worker.send(System.nanoTime(), 0);
                }
                worker.close();
            }, "load-" + i);
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        return merge(name, workers, 0, System.nanoTime() - start);
    }

    /** A stretch of the open-loop schedule: this many webhooks per second for this long. */
    public record Phase(String name, double rate, double seconds) {
    }

    /**
     * Open loop: webhooks fall due at each phase's fixed rate and are sent by whichever of {@code connections} is
     * free; a latency runs from when the webhook was due to its acknowledgement. One result per phase.
     */
    public List<Result> openLoop(Traffic traffic, int connections, List<Phase> phases) throws InterruptedException {
        BlockingQueue<long[]> due = new ArrayBlockingQueue<>(1 << 20);
        Worker[] workers = new Worker[connections];
        Thread[] threads = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            Worker worker = workers[i] = new Worker(traffic);
            threads[i] = new Thread(() -> {
                try {
                    while (true) {
                        long[] item = due.take();
                        if (item[1] < 0) {
                            break;
                        }
                        worker.send(item[0], (int) item[1]);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                worker.close();
            }, "load-" + i);
            threads[i].start();
        }
        long[] phaseStart = new long[phases.size() + 1];
        long at = System.nanoTime() + 50_000_000L;
        for (int p = 0; p < phases.size(); p++) {
            Phase phase = phases.get(p);
            phaseStart[p] = at;
            long count = Math.round(phase.rate() * phase.seconds());
            double interval = 1e9 / phase.rate();
            for (long i = 0; i < count; i++) {
                long when = at + (long) (i * interval);
                long wait = when - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                due.put(new long[] {when, p});
            }
            at += (long) (count * interval);
        }
        for (int i = 0; i < connections; i++) {
            due.put(new long[] {0, -1});
        }
        for (Thread t : threads) {
            t.join();
        }
        phaseStart[phases.size()] = System.nanoTime();
        List<Result> results = new ArrayList<>();
        for (int p = 0; p < phases.size(); p++) {
            // a phase's rate is what it was scheduled for; its duration runs to when its last webhook was due
            long nanos = (long) (phases.get(p).seconds() * 1e9);
            results.add(merge(phases.get(p).name(), workers, p, nanos));
        }
        return results;
    }

    private static Result merge(String name, Worker[] workers, int phase, long nanos) {
        long sent = 0;
        long acked = 0;
        long errors = 0;
        int n = 0;
        for (Worker w : workers) {
            n += w.count(phase);
        }
        long[] all = new long[n];
        int offset = 0;
        for (Worker w : workers) {
            Worker.Stats s = w.stats(phase);
            sent += s.sent;
            acked += s.acked;
            errors += s.errors;
            System.arraycopy(s.latencies, 0, all, offset, s.size);
            offset += s.size;
        }
        Arrays.sort(all);
        return new Result(name, sent, acked, errors, nanos, all);
    }

    /** One keep-alive connection and what it recorded, per phase. */
    private final class Worker {
        final class Stats {
            long sent;
            long acked;
            long errors;
            long[] latencies = new long[4096];
            int size;

            void add(long nanos) {
                if (size == latencies.length) {
                    latencies = Arrays.copyOf(latencies, size * 2);
                }
                latencies[size++] = nanos;
            }
        }

        private final Traffic traffic;
        private final List<Stats> phases = new ArrayList<>();
        private Connection connection;
        private int loggedErrors;

        Worker(Traffic traffic) {
            this.traffic = traffic;
        }

        Stats stats(int phase) {
            while (phases.size() <= phase) {
                phases.add(new Stats());
            }
            return phases.get(phase);
        }

        int count(int phase) {
            return stats(phase).size;
        }

        void send(long due, int phase) {
            Stats stats = stats(phase);
            Webhook webhook = traffic.next();
            stats.sent++;
            try {
                if (connection == null) {
                    connection = new Connection(host, port);
                }
                int status = connection.post(webhook);
                long latency = System.nanoTime() - due;
                if (status / 100 == 2) {
                    stats.acked++;
                    stats.add(latency);
                    traffic.acknowledged(webhook.token());
                } else {
                    stats.errors++;
                    if (loggedErrors++ < 3) {
                        System.err.println("  " + webhook.provider() + " answered " + status + ": " + connection.lastBody);
                    }
                }
                if (!connection.keepAlive) {
                    close();
                }
            } catch (IOException e) {
                stats.errors++;
                if (loggedErrors++ < 3) {
                    System.err.println("  " + webhook.provider() + " failed: " + e);
                }
                close();
            }
        }

        void close() {
            if (connection != null) {
                connection.close();
                connection = null;
            }
        }
    }

    /** A minimal HTTP/1.1 client connection: POST, read the status, headers and body (length or chunked). */
    static final class Connection implements Closeable {
        private final Socket socket;
        private final BufferedOutputStream out;
        private final InputStream in;
        private final String hostHeader;
        boolean keepAlive = true;
        String lastBody = "";

        Connection(String host, int port) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            socket.connect(new InetSocketAddress(host, port), 5_000);
            out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            hostHeader = host + ":" + port;
        }

        int post(Webhook webhook) throws IOException {
            StringBuilder head = new StringBuilder(512);
            head.append("POST ").append(webhook.path()).append(" HTTP/1.1\r\nHost: ").append(hostHeader)
                    .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(webhook.body().length)
                    .append("\r\n");
            for (String[] header : webhook.headers()) {
                head.append(header[0]).append(": ").append(header[1]).append("\r\n");
            }
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(webhook.body());
            out.flush();
            return readResponse();
        }

        private int readResponse() throws IOException {
            String statusLine = line();
            int status = Integer.parseInt(statusLine.substring(9, 12));
            long length = -1;
            boolean chunked = false;
            keepAlive = true;
            for (String header = line(); !header.isEmpty(); header = line()) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = header.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> keepAlive = !value.equalsIgnoreCase("close");
                    default -> { }
                }
            }
            StringBuilder body = new StringBuilder();
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                     size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    body.append(read(size));
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (length >= 0) {
                body.append(read(length));
            } else {
                keepAlive = false;
            }
            lastBody = body.length() > 200 ? body.substring(0, 200) : body.toString();
            return status;
        }

        private String read(long n) throws IOException {
            byte[] bytes = in.readNBytes((int) n);
            if (bytes.length < n) {
                throw new EOFException("response body cut short");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder(64);
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("connection closed by the box");
                }
                if (b == '\n') {
                    int len = sb.length();
                    if (len > 0 && sb.charAt(len - 1) == '\r') {
                        sb.setLength(len - 1);
                    }
                    return sb.toString();
                }
                sb.append((char) b);
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
