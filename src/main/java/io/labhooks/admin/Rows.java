package io.labhooks.admin;

import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Database rows as the admin API shows them: camelCase keys, times as UTC ISO-8601 on every database. */
final class Rows {

    private Rows() {
    }

    static List<Map<String, Object>> shown(List<Map<String, Object>> rows) {
        return rows.stream().map(Rows::shown).toList();
    }

    static Map<String, Object> shown(Map<String, Object> row) {
        Map<String, Object> shown = new LinkedHashMap<>();
        row.forEach((column, value) -> shown.put(camelCase(column), time(value)));
        return shown;
    }

    private static Object time(Object value) {
        if (value instanceof Timestamp timestamp) {
            return timestamp.toInstant().toString();
        }
        if (value instanceof OffsetDateTime time) {
            return time.withOffsetSameInstant(ZoneOffset.UTC).toInstant().toString();
        }
        return value;
    }

    private static String camelCase(String column) {
        String lower = column.toLowerCase(Locale.ROOT);
        StringBuilder name = new StringBuilder();
        boolean upper = false;
        for (char c : lower.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                name.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return name.toString();
    }
}
