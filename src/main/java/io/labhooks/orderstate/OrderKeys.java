package io.labhooks.orderstate;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The name of a canonical event's order: "provider|id" with the provider's order id, else the integrator's,
 * else the test registration or test the provider reports on (LML and Hurdle send some events without an order id).
 * An event one of whose ids is linked to an order already belongs to that order instead ({@link OrderLinking}).
 */
public final class OrderKeys {

    private OrderKeys() {
    }

    /** Null when the event names no order. */
    public static String of(JsonNode event) {
        JsonNode order = event.path("order");
        JsonNode refs = event.path("refs");
        for (JsonNode candidate : List.of(order.path("providerOrderId"), order.path("externalOrderId"),
                refs.path("testRegistrationId"), refs.path("testId"))) {
            if (candidate.isTextual() && !candidate.asText().isBlank()) {
                return event.path("provider").asText() + "|" + candidate.asText();
            }
        }
        return null;
    }
}
