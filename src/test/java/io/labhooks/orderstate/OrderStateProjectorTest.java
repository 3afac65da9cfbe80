package io.labhooks.orderstate;

import static io.labhooks.orderstate.OrderStateProjector.Decision.APPLY;
import static io.labhooks.orderstate.OrderStateProjector.Decision.KEEP;
import static io.labhooks.orderstate.OrderStateProjector.Decision.OUT_OF_ORDER;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;

import org.junit.jupiter.api.Test;

/** The ordering rules of providers.md §7.4, one at a time. */
class OrderStateProjectorTest {

    static final OffsetDateTime T0 = OffsetDateTime.parse("2026-06-01T10:00:00Z");
    static final OffsetDateTime EARLIER = T0.minusHours(1);
    static final OffsetDateTime LATER = T0.plusHours(1);

    static OrderStateProjector.Decision decide(OrderStatus stored, OrderStatus incoming, String type, OffsetDateTime at) {
        return OrderStateProjector.decide(new OrderStateProjector.Stored(stored, T0, 1, "an-earlier-event"), incoming, type, at);
    }

    @Test
    void aHigherRankMovesTheOrderForward() {
        assertThat(decide(OrderStatus.SAMPLE_AT_LAB, OrderStatus.RESULTS_READY, "RESULTS_READY", EARLIER)).isEqualTo(APPLY);
    }

    @Test
    void aLowerRankArrivingLateIsOutOfOrder() {
        assertThat(decide(OrderStatus.RESULTS_READY, OrderStatus.SAMPLE_AT_LAB, "SAMPLE_RECEIVED_BY_LAB", LATER))
                .isEqualTo(OUT_OF_ORDER);
    }

    @Test
    void onATieTheLaterEventWins() {
        assertThat(decide(OrderStatus.KIT_SHIPPED, OrderStatus.KIT_SHIPPED, "KIT_OUT_FOR_DELIVERY", LATER)).isEqualTo(APPLY);
        assertThat(decide(OrderStatus.KIT_SHIPPED, OrderStatus.KIT_SHIPPED, "KIT_DISPATCHED", EARLIER)).isEqualTo(KEEP);
    }

    @Test
    void rescheduleAndAppointmentCancelMayGoBackFromScheduled() {
        assertThat(decide(OrderStatus.APPOINTMENT_SCHEDULED, OrderStatus.CREATED, "APPOINTMENT_CANCELLED", LATER)).isEqualTo(APPLY);
        assertThat(decide(OrderStatus.APPOINTMENT_SCHEDULED, OrderStatus.CONFIRMED, "APPOINTMENT_RESCHEDULED", LATER)).isEqualTo(APPLY);
        assertThat(decide(OrderStatus.SAMPLE_COLLECTED, OrderStatus.CREATED, "APPOINTMENT_CANCELLED", LATER)).isEqualTo(OUT_OF_ORDER);
    }

    @Test
    void aCancelOlderThanTheScheduleItWouldUndoIsOutOfOrder() {
        assertThat(decide(OrderStatus.APPOINTMENT_SCHEDULED, OrderStatus.CONFIRMED, "APPOINTMENT_CANCELLED", EARLIER))
                .isEqualTo(OUT_OF_ORDER);
    }

    @Test
    void amendedResultsAreAcceptedAfterReady() {
        assertThat(decide(OrderStatus.RESULTS_READY, OrderStatus.RESULTS_AMENDED, "RESULTS_AMENDED", LATER)).isEqualTo(APPLY);
    }

    @Test
    void cancelFailAndErrorAreAcceptedUnlessResultsAreFinal() {
        assertThat(decide(OrderStatus.SAMPLE_AT_LAB, OrderStatus.CANCELLED, "ORDER_CANCELLED", LATER)).isEqualTo(APPLY);
        assertThat(decide(OrderStatus.CONFIRMED, OrderStatus.SAMPLE_ERROR, "SAMPLE_ERROR", EARLIER)).isEqualTo(APPLY);
        assertThat(decide(OrderStatus.RESULTS_READY, OrderStatus.CANCELLED, "ORDER_CANCELLED", LATER)).isEqualTo(OUT_OF_ORDER);
        assertThat(decide(OrderStatus.RESULTS_PARTIAL, OrderStatus.FAILED, "ORDER_FAILED", LATER)).isEqualTo(APPLY);
    }

    @Test
    void aLifecycleEventAfterCancellationIsOutOfOrder() {
        assertThat(decide(OrderStatus.CANCELLED, OrderStatus.SAMPLE_AT_LAB, "SAMPLE_RECEIVED_BY_LAB", LATER)).isEqualTo(OUT_OF_ORDER);
    }
}
