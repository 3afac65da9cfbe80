package io.labhooks.orderstate;

/**
 * Canonical order statuses with their rank (providers.md §7.3). A status may only replace one of lower rank, so
 * a late event cannot move an order back. The side states (cancelled, failed, no-show, sample error, redraw)
 * rank above the lifecycle: once there, later lifecycle events are out of order; they are themselves accepted
 * unless results are already final (§7.4).
 */
public enum OrderStatus {
    CREATED(10), CONFIRMED(20), KIT_SHIPPED(30), KIT_DELIVERED(35), APPOINTMENT_SCHEDULED(40), VISIT_IN_PROGRESS(50),
    SAMPLE_COLLECTED(60), SAMPLE_IN_TRANSIT_TO_LAB(65), SAMPLE_AT_LAB(70), RESULTS_PARTIAL(80), RESULTS_READY(90),
    RESULTS_AMENDED(95),
    CANCELLED(100, true), FAILED(100, true), NO_SHOW(100, true), SAMPLE_ERROR(100, true), REDRAW_REQUIRED(100, true);

    private final int rank;
    private final boolean sideState;

    OrderStatus(int rank) {
        this(rank, false);
    }

    OrderStatus(int rank, boolean sideState) {
        this.rank = rank;
        this.sideState = sideState;
    }

    public int rank() {
        return rank;
    }

    public boolean sideState() {
        return sideState;
    }

    public boolean resultsFinal() {
        return !sideState && rank >= RESULTS_READY.rank;
    }
}
