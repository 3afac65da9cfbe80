package io.labhooks.admin;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an operator filters events by: provider, event type, order, status and a time window on when labhooks
 * received them. Every criterion is optional; the SQL it produces binds each value as a parameter.
 */
public record EventFilter(String provider, String type, String order, String status, OffsetDateTime from,
                          OffsetDateTime to, int limit) {

    /** Stored webhooks have no order key of their own: theirs is that of the canonical events made from them. */
    static final String INBOUND_EVENT_OF_ORDER = "id IN (SELECT inbound_event_id FROM canonical_event WHERE order_key = :order)";
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    public static EventFilter of(String provider, String type, String order, String status, String from, String to,
                                 Integer limit) {
        int rows = limit == null ? DEFAULT_LIMIT : limit;
        if (rows < 1 || rows > MAX_LIMIT) {
            throw new AdminRequestException(400, "limit must be between 1 and " + MAX_LIMIT);
        }
        return new EventFilter(blankToNull(provider), blankToNull(type), blankToNull(order), blankToNull(status),
                time("from", from), time("to", to), rows);
    }

    /**
     * A WHERE clause over the given columns (null: not filterable there; a condition with its own ":name"
     * parameter is used as it is), with its parameters.
     */
    Where where(String providerColumn, String typeColumn, String orderColumn, String statusColumn, String timeColumn) {
        Where where = new Where();
        where.add(providerColumn, "=", "provider", provider);
        where.add(typeColumn, "=", "type", type);
        where.add(orderColumn, "=", "order", order);
        where.add(statusColumn, "=", "status", status);
        where.add(timeColumn, ">=", "from", from);
        where.add(timeColumn, "<", "to", to);
        where.parameters.put("limit", limit);
        return where;
    }

    boolean isEmpty() {
        return provider == null && type == null && order == null && status == null && from == null && to == null;
    }

    String describe() {
        return "provider=" + provider + " type=" + type + " order=" + order + " status=" + status + " from=" + from + " to=" + to;
    }

    static final class Where {
        private final List<String> conditions = new ArrayList<>();
        final Map<String, Object> parameters = new HashMap<>();

        private void add(String column, String operator, String name, Object value) {
            if (value != null) {
                if (column == null) {
                    throw new AdminRequestException(400, "cannot filter these by " + name);
                }
                conditions.add(column.contains(":" + name) ? column : column + " " + operator + " :" + name);
                parameters.put(name, value);
            }
        }

        String sql() {
            return conditions.isEmpty() ? "1 = 1" : String.join(" AND ", conditions);
        }
    }

    private static OffsetDateTime time(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value);
        } catch (DateTimeParseException e) {
            throw new AdminRequestException(400, name + " must be an ISO-8601 date-time with offset, e.g. 2026-11-01T00:00:00Z");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
