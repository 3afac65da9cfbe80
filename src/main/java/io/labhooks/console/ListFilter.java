package io.labhooks.console;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.web.util.UriComponentsBuilder;

import io.labhooks.admin.EventFilter;

/**
 * The filters of a console list as the form sent them, turned into the API's {@link EventFilter}. The form's
 * date-time fields carry no offset and are taken as UTC, as the page says.
 */
record ListFilter(String provider, String type, String order, String status, String from, String to) {

    static final int PAGE = 50;

    /** One row more than a page, to know whether an older page exists. */
    EventFilter toEventFilter() {
        return EventFilter.of(provider, type, order, status, utc(from), utc(to), PAGE + 1);
    }

    /** The link to the next, older page: the same filters, older than the last row shown. */
    String olderLink(String path, long olderThan) {
        UriComponentsBuilder link = UriComponentsBuilder.fromPath(path);
        values().forEach((name, value) -> {
            if (value != null && !value.isBlank()) {
                link.queryParam(name, value);
            }
        });
        return link.queryParam("before", olderThan).encode().build().toUriString();
    }

    Map<String, String> values() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("provider", provider);
        values.put("type", type);
        values.put("order", order);
        values.put("status", status);
        values.put("from", from);
        values.put("to", to);
        return values;
    }

    /** A page of rows and the link to the older page, if there is one. */
    record Page(List<Map<String, Object>> rows, String older) {

        static Page of(List<Map<String, Object>> fetched, String key, ListFilter filter, String path) {
            if (fetched.size() <= PAGE) {
                return new Page(fetched, null);
            }
            List<Map<String, Object>> rows = fetched.subList(0, PAGE);
            return new Page(rows, filter.olderLink(path, ((Number) rows.get(PAGE - 1).get(key)).longValue()));
        }
    }

    static String utc(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        if (v.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}")) {
            return v + ":00Z";
        }
        if (v.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?")) {
            return v + "Z";
        }
        return v;
    }
}
