package io.labhooks.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;

import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;

/**
 * The workers that send one sink's claimed deliveries, {@code concurrency} at a time: Camel thread pools, bound in
 * Camel's registry as {@code <sink>SinkWorkers} for the split in deliver.camel.yaml (not Spring beans, which would
 * displace Spring Boot's own task executor). Running a claimed batch in parallel keeps each order's events in
 * order, because a batch holds at most one delivery per order: an order's next delivery is claimed only once the
 * one before it is no longer pending. A slow order then holds one worker, not the sink.
 */
@Component
public class SinkWorkers implements CamelContextConfiguration {

    private final Map<String, Integer> concurrency;
    private final Map<String, ExecutorService> pools = new ConcurrentHashMap<>();

    SinkWorkers(LabhooksProperties properties) {
        LabhooksProperties.Sinks sinks = properties.sinks();
        concurrency = Map.of("http", sinks.http().concurrency(), "jdbc", sinks.jdbc().concurrency(),
                "email", sinks.email().concurrency());
        concurrency.forEach((sink, workers) -> {
            if (workers < 1) {
                throw new IllegalStateException("labhooks.sinks." + sink + ".concurrency must be at least 1, not " + workers);
            }
        });
    }

    @Override
    public void beforeApplicationStart(CamelContext camel) {
        concurrency.forEach((sink, workers) -> {
            ExecutorService pool = camel.getExecutorServiceManager().newFixedThreadPool(this, "deliver-" + sink, workers);
            pools.put(sink, pool);
            camel.getRegistry().bind(sink + "SinkWorkers", pool);
        });
    }

    /**
     * The sink's deliveries this box has handed to its workers and not yet finished (running or waiting for a
     * worker): the poller claims only what brings this back up to one batch, so a box never hoards more claims
     * than it can start soon, and other boxes get the rest.
     */
    public int inFlight(String sink) {
        return pools.get(sink) instanceof ThreadPoolExecutor pool ? pool.getActiveCount() + pool.getQueue().size() : 0;
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        // nothing: the pools are Camel's, shut down with it
    }
}
