package io.labhooks.orderstate;

/** One id an event names its order by: its kind (a key of labhooks.orders.link-refs) and its value. */
public record LinkRef(String kind, String value) {
}
