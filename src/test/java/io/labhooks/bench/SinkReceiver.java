package io.labhooks.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The HTTP sink's receiver: checks each delivery's Standard Webhooks signature, as a real receiver must, and
 * records which benchmark tokens arrived (a redelivery carries the same webhook-id and is counted once).
 */
public final class SinkReceiver implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final Webhooks webhooks;
    private final BitSet tokens = new BitSet();
    private final Set<String> webhookIds = new HashSet<>();
    private long posts;
    private long badSignatures;
    private long lastArrivalNanos;
    /** When each distinct event arrived, in order of arrival: the backlog scenario's drain curve. */
    private long[] arrivals = new long[1024];
    private int arrived;
    /** When each token first arrived (System.nanoTime), by token (0: not yet). */
    private long[] tokenArrivals = new long[1024];

    public SinkReceiver(Webhooks webhooks) throws IOException {
        this.webhooks = webhooks;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.createContext("/sink", this::receive);
        server.setExecutor(threads);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/sink";
    }

    private void receive(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        var headers = exchange.getRequestHeaders();
        String id = headers.getFirst("webhook-id");
        boolean valid = Webhooks.standardWebhooksValid(Webhooks.SINK_SECRET, id, headers.getFirst("webhook-timestamp"),
                body, headers.getFirst("webhook-signature"));
        synchronized (this) {
            posts++;
            if (valid) {
                if (webhookIds.add(id)) {
                    if (arrived == arrivals.length) {
                        arrivals = Arrays.copyOf(arrivals, arrived * 2);
                    }
                    arrivals[arrived++] = System.nanoTime();
                }
                long now = System.nanoTime();
                webhooks.tokensIn(new String(body, StandardCharsets.UTF_8), token -> {
                    tokens.set((int) token);
                    if (token >= tokenArrivals.length) {
                        tokenArrivals = Arrays.copyOf(tokenArrivals, (int) Math.max(token + 1, tokenArrivals.length * 2L));
                    }
                    if (tokenArrivals[(int) token] == 0) {
                        tokenArrivals[(int) token] = now;
                    }
                });
                lastArrivalNanos = System.nanoTime();
            } else {
                badSignatures++;
            }
        }
        exchange.sendResponseHeaders(valid ? 204 : 401, -1);
        exchange.close();
    }

    public synchronized BitSet tokens() {
        return (BitSet) tokens.clone();
    }

    public synchronized int distinctEvents() {
        return webhookIds.size();
    }

    /** The nanoTime the {@code n}th distinct event arrived (from 1), or 0 if fewer have. */
    public synchronized long arrivalNanos(int n) {
        return n >= 1 && n <= arrived ? arrivals[n - 1] : 0;
    }

    /** When the token first arrived in a valid delivery (System.nanoTime), or 0. */
    public synchronized long arrivedAt(int token) {
        return token < tokenArrivals.length ? tokenArrivals[token] : 0;
    }

    public synchronized long posts() {
        return posts;
    }

    public synchronized long badSignatures() {
        return badSignatures;
    }

    public synchronized long lastArrivalNanos() {
        return lastArrivalNanos;
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
