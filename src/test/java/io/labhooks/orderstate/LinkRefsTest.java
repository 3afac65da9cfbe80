package io.labhooks.orderstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import io.labhooks.config.StartupRefusal;

/** Which of an event's fields are its order's ids, as labhooks.orders.link-refs lists them. */
class LinkRefsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static LinkRefs settings(Object... kindAndPaths) {
        Map<String, List<String>> linkRefs = new LinkedHashMap<>();
        for (int i = 0; i < kindAndPaths.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> paths = (List<String>) kindAndPaths[i + 1];
            linkRefs.put((String) kindAndPaths[i], paths);
        }
        return new LinkRefs(linkRefs);
    }

    @Test
    void eachListedFieldGivesAnIdAndAnArrayOnePerElement() throws Exception {
        LinkRefs refs = settings("order", List.of("order.providerOrderId"), "kit", List.of("refs.kitIds", "refs.kitId"),
                "test", List.of("refs.testId"));
        var event = JSON.readTree("""
                {"order": {"providerOrderId": "HUR-1", "status": null},
                 "refs": {"kitIds": ["K1", "K2", "K1"], "kitId": "K3", "patientId": "p-1", "productCode": "X"}}""");

        assertThat(refs.of(event)).containsExactly(new LinkRef("order", "HUR-1"), new LinkRef("kit", "K1"),
                new LinkRef("kit", "K2"), new LinkRef("kit", "K3"));
    }

    @Test
    void blankMissingNullNonTextAndOverlongValuesAreNoIds() throws Exception {
        LinkRefs refs = settings("kit", List.of("refs.kitIds"), "test", List.of("refs.testId"), "job", List.of("refs.jobId"),
                "sample", List.of("refs.sampleId"));
        var event = JSON.readTree("""
                {"refs": {"kitIds": ["", " ", null, 7, {"id": "x"}, "%s", "K1"], "testId": null, "jobId": "  "}}"""
                .formatted("k".repeat(LinkRefs.MAX_VALUE_LENGTH + 1)));

        assertThat(refs.of(event)).containsExactly(new LinkRef("kit", "K1"));
    }

    @Test
    void noSettingNoIds() throws Exception {
        assertThat(new LinkRefs(Map.of()).of(JSON.readTree("{\"order\": {\"providerOrderId\": \"O\"}}"))).isEmpty();
    }

    @Test
    void aFieldThatIsNotADottedPathOrAnOverlongKindIsRefused() {
        assertThatThrownBy(() -> settings("kit", List.of("refs..kitIds"))).isInstanceOf(StartupRefusal.class)
                .hasMessageContaining("labhooks.orders.link-refs.kit");
        assertThatThrownBy(() -> settings("kit", List.of("refs."))).isInstanceOf(StartupRefusal.class);
        assertThatThrownBy(() -> settings("k".repeat(LinkRefs.MAX_KIND_LENGTH + 1), List.of("refs.kitId")))
                .isInstanceOf(StartupRefusal.class);
    }
}
