package io.labhooks.fetch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * A provider API's rate budget on this box: at most {@code requests} calls in any window of {@code per}. Written
 * here rather than taken from a rate-limiter library because the box never waits for a permit: a call that finds the
 * budget spent is not made, and the event is simply asked about again when a permit frees up (the work queue keeps
 * it), so all that is needed is "may I call now, else when".
 */
final class CallBudget {

    private final int requests;
    private final Duration per;
    private final Clock clock;
    private final Deque<Instant> calls = new ArrayDeque<>();

    CallBudget(int requests, Duration per, Clock clock) {
        this.requests = requests;
        this.per = per;
        this.clock = clock;
    }

    /** Takes a permit: empty if one was free, else how long until one frees up (nothing is taken then). */
    synchronized Optional<Duration> take() {
        Instant now = clock.instant();
        while (!calls.isEmpty() && !calls.peekFirst().plus(per).isAfter(now)) {
            calls.removeFirst();
        }
        if (calls.size() < requests) {
            calls.addLast(now);
            return Optional.empty();
        }
        return Optional.of(Duration.between(now, calls.peekFirst().plus(per)));
    }
}
