package io.labhooks.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.dashjoin.jsonata.Jsonata;
import org.junit.jupiter.api.Test;

import io.labhooks.support.TestSettings;
import io.labhooks.normalise.MappingBounds;

/**
 * The built-ins that follow the host's locale or time zone in jsonata-java give, in a mapping's frame, what they
 * give on an English host in UTC. Meaningful where the host is neither: mvn verify runs this class a second time on
 * a Turkish host in Pacific/Chatham (UTC+12:45/+13:45), see pom.xml.
 */
class HostIndependentFunctionsTest {

    private final MappingBounds frame = new MappingBounds(TestSettings.mappingBounds());

    private Object evaluate(String expression, Object input) {
        Jsonata jsonata = Jsonata.jsonata(expression);
        Jsonata.Frame bindings = jsonata.createFrame();
        frame.bindToFrame(bindings);
        return jsonata.evaluate(input, bindings);
    }

    private Object evaluate(String expression) {
        return evaluate(expression, null);
    }

    @Test
    void caseChangesIgnoreTheHostsLocale() {
        assertThat(evaluate("$uppercase('invoice')")).isEqualTo("INVOICE");
        assertThat(evaluate("$lowercase('TITLE')")).isEqualTo("title");
        assertThat(evaluate("kind.$uppercase()", Map.of("kind", "dispute"))).as("the context as argument").isEqualTo("DISPUTE");
        assertThat(evaluate("$map(['tissue', 'kit'], $uppercase)")).isEqualTo(List.of("TISSUE", "KIT"));
        assertThat(evaluate("$uppercase(missing)", Map.of())).isNull();
    }

    @Test
    void timesWithoutOffsetAreReadAsUtc() {
        assertThat(evaluate("$toMillis('2026-04-03T12:00:00')")).isEqualTo(1775217600000L);
        assertThat(evaluate("$toMillis('2026-04-03T12:00:00.000')")).isEqualTo(1775217600000L);
        assertThat(evaluate("$toMillis('2026-04-03T13:30:00+0130')")).isEqualTo(1775217600000L);
        assertThat(evaluate("$toMillis('2026-04-03T12:00:00Z')")).isEqualTo(1775217600000L);
        assertThat(evaluate("$toMillis('2026-04-03')")).isEqualTo(millis("2026-04-03T00:00:00Z"));
        assertThat(evaluate("$toMillis('2026')")).isEqualTo(millis("2026-01-01T00:00:00Z"));
        assertThat(evaluate("$toMillis('3 April 2026', '[D] [MNn] [Y]')")).isEqualTo(millis("2026-04-03T00:00:00Z"));
        assertThat(evaluate("$fromMillis(1775217600000)")).isEqualTo("2026-04-03T12:00:00.000Z");
    }

    @Test
    void namesRomanNumeralsAndWordsAreWrittenAndReadAsInEnglish() {
        assertThat(evaluate("$fromMillis(1775217600000, '[FN], [D1o] [MN] [Y0001] [YI]')"))
                .isEqualTo("FRIDAY, 3rd APRIL 2026 MMXXVI");
        assertThat(evaluate("$fromMillis(1775217600000, '[FNn] [Mn]')")).isEqualTo("Friday april");
        assertThat(evaluate("$fromMillis(1775217600000, '[H01]:[m01]', '+0530')")).isEqualTo("17:30");
        assertThat(evaluate("$formatInteger(14, 'I')")).isEqualTo("XIV");
        assertThat(evaluate("$formatInteger(14, 'i')")).isEqualTo("xiv");
        assertThat(evaluate("$formatInteger(5, 'W')")).isEqualTo("FIVE");
        assertThat(evaluate("$formatInteger(31, 'w;o')")).isEqualTo("thirty-first");
        assertThat(evaluate("$formatInteger(?, 'I')(9)")).as("partially applied").isEqualTo("IX");
        assertThat(evaluate("$parseInteger('xiv', 'i')")).isEqualTo(14);
        assertThat(evaluate("$parseInteger('FIVE', 'W')")).isEqualTo(5);
        assertThat(evaluate("$parseInteger('1,234', '#,##0')")).isEqualTo(1234);
        List<?> now = (List<?>) evaluate("[$now('[Y0001]'), $now('[YI]')]"); // one evaluation, one instant
        assertThat(now.get(1)).isEqualTo(evaluate("$formatInteger(" + now.get(0) + ", 'I')"));
    }

    @Test
    void thePicturesOwnDottedAndDotlessLettersStay() {
        assertThat(evaluate("$fromMillis(1775217600000, 'İzmir ı [FN] [Y0001]')")).isEqualTo("İzmir ı FRIDAY 2026");
    }

    private static long millis(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }
}
