package io.labhooks.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import io.labhooks.console.MappingPreview.Difference;

/** The preview's list of what differs between two canonical events, path by path, and its one-line errors. */
class MappingPreviewTest {

    final ObjectMapper json = new ObjectMapper();

    @Test
    void pathsAddedRemovedAndChangedAreListedWithTheirValuesAsJson() throws Exception {
        JsonNode before = json.readTree("""
                {"type":"ORDER_CONFIRMED","channel":"MOBILE_PHLEBOTOMY","refs":{"jobId":"j1","sampleId":"s1"},
                 "tests":[{"code":"A"},{"code":"B"}],"appointment":null}""");
        JsonNode after = json.readTree("""
                {"type":"ORDER_CONFIRMED","channel":"CLINIC_OR_VENUE","refs":{"jobId":"j1","venueId":7},
                 "tests":[{"code":"A"}],"appointment":{"startAt":"2026-06-01T08:00:00Z"},"x-odd":"<b>"}""");

        assertThat(MappingPreview.differences(before, after)).containsExactly(
                new Difference("channel", "changed", "\"MOBILE_PHLEBOTOMY\"", "\"CLINIC_OR_VENUE\""),
                new Difference("refs.sampleId", "removed", "\"s1\"", null),
                new Difference("refs.venueId", "added", null, "7"),
                new Difference("tests[1]", "removed", "{\"code\":\"B\"}", null),
                new Difference("appointment", "changed", "null", "{\"startAt\":\"2026-06-01T08:00:00Z\"}"),
                new Difference("[\"x-odd\"]", "added", null, "\"<b>\""));
    }

    @Test
    void fieldsDecidedWhenTheEventIsRecordedAreNotCompared() throws Exception {
        JsonNode before = json.readTree("""
                {"eventId":"e1","revision":2,"supersedesEventId":"e0","outOfOrder":true,
                 "order":{"status":"RESULTS_READY","providerOrderId":"p1"}}""");
        JsonNode after = json.readTree("""
                {"order":{"status":"CONFIRMED","providerOrderId":"p1"}}""");

        assertThat(MappingPreview.differences(before, after)).isEmpty();
    }

    @Test
    void aFailureIsShownOnOneLineWithLongListsCut() {
        Exception invalid = new IllegalStateException("JSON validation error with 2 errors:\n$.type: does not have a value in the"
                + " enumeration [\"ORDER_CREATED\", \"ORDER_CONFIRMED\", \"ORDER_UPDATED\", \"ORDER_CANCELLED\", \"ORDER_FAILED\"]\n"
                + "$.order: is missing but it is required");

        assertThat(MappingPreview.oneLine(invalid)).isEqualTo("IllegalStateException: JSON validation error with 2 errors: $.type:"
                + " does not have a value in the enumeration […]; $.order: is missing but it is required");
        assertThat(MappingPreview.oneLine(new RuntimeException(null, new java.io.IOException("mapping file x.jsonata is empty"))))
                .isEqualTo("IOException: mapping file x.jsonata is empty");
    }
}
