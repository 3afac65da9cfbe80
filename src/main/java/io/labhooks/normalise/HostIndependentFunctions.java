package io.labhooks.normalise;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;
import java.util.function.UnaryOperator;

import com.dashjoin.jsonata.Functions;
import com.dashjoin.jsonata.JException;
import com.dashjoin.jsonata.Jsonata;
import com.dashjoin.jsonata.Jsonata.JFunction;
import com.dashjoin.jsonata.Jsonata.JFunctionCallable;
import com.dashjoin.jsonata.Utils;

/**
 * The jsonata-java (0.9.10) built-ins whose results follow the JVM's default locale or time zone, bound on a mapping's
 * frame in place of the originals so that a mapping gives the same result on every host. On a Turkish or Azeri host
 * {@code $uppercase("invoice")} is "İNVOİCE", and a date-time without offset read by {@code $toMillis} moved with
 * the host's zone.
 *
 * <ul>
 * <li>{@code $uppercase}, {@code $lowercase}: Locale.ROOT.</li>
 * <li>{@code $toMillis} without a picture: a date-time without offset is UTC (jsonata-java took the host's zone),
 *     a bare year is read in the ISO calendar (not, say, the Buddhist one of a Thai host).</li>
 * <li>{@code $fromMillis}, {@code $now}, {@code $formatInteger}: jsonata-java writes English names, roman numerals
 *     and number words and then changes their case with the default locale, turning an upper-cased 'i' into 'İ' (a
 *     lower-cased 'I' into 'ı'). Those two letters can only come from that, or from the picture's own text, which
 *     is shielded meanwhile by stand-ins, so they are turned back.</li>
 * <li>{@code $parseInteger}: roman numerals and number words are case-changed here with Locale.ROOT before jsonata-java
 *     reads them; without a picture, numbers are read with English separators.</li>
 * </ul>
 * Still host-dependent: {@code $toMillis} with a picture that reads lower-case roman numerals or number words.
 * Each replacement keeps its original's name, signature and arity, so partial application works as before.
 */
final class HostIndependentFunctions {

    private static final char DOTTED_CAPITAL_I = '\u0130';
    private static final char DOTLESS_SMALL_I = '\u0131';

    private final Map<String, JFunction> functions = Map.of(
            "uppercase", replacing("uppercase", "<s-:s>", "uppercase",
                    args -> string(args, 0) == null ? null : string(args, 0).toUpperCase(Locale.ROOT)),
            "lowercase", replacing("lowercase", "<s-:s>", "lowercase",
                    args -> string(args, 0) == null ? null : string(args, 0).toLowerCase(Locale.ROOT)),
            "toMillis", replacing("toMillis", "<s-s?:n>", "dateTimeToMillis",
                    args -> toMillis(string(args, 0), string(args, 1))),
            "fromMillis", replacing("fromMillis", "<n-s?s?:s>", "dateTimeFromMillis",
                    args -> withCaseOfRoot(string(args, 1), p -> Functions.dateTimeFromMillis(number(args, 0), p, string(args, 2)))),
            "now", replacing("now", "<s?s?:s>", "now",
                    args -> withCaseOfRoot(string(args, 0), p -> Functions.now(p, string(args, 1)))),
            "formatInteger", replacing("formatInteger", "<n-s:s>", "formatInteger",
                    args -> withCaseOfRoot(string(args, 1), p -> Functions.formatInteger(number(args, 0), p))),
            "parseInteger", replacing("parseInteger", "<s-s:n>", "parseInteger",
                    args -> parseInteger(string(args, 0), string(args, 1))));

    /** Binds the replacements on a mapping's frame, where they are found before the built-ins. */
    void bindTo(Jsonata.Frame frame) {
        functions.forEach(frame::bind);
    }

    private interface Implementation {
        Object apply(List<?> args) throws Exception;
    }

    /**
     * A function with the built-in's name, signature and arity (taken from the built-in's own method, which is
     * never called), computed by the implementation, with its number result normalised as the built-ins' are.
     */
    private static JFunction replacing(String name, String signature, String builtInMethod, Implementation implementation) {
        JFunctionCallable callable = (input, args) -> {
            Object result = implementation.apply(args);
            return result instanceof Number n ? Utils.convertNumber(n) : result;
        };
        return new JFunction(name, signature, Functions.class, null, builtInMethod) {
            @Override
            public Object call(Object input, List args) {
                try {
                    return callable.call(input, args);
                } catch (RuntimeException e) { // JException included, as the built-ins throw it
                    throw e;
                } catch (Throwable e) {
                    throw new RuntimeException(e);
                }
            }
        };
    }

    private static String string(List<?> args, int index) {
        return index < args.size() ? (String) args.get(index) : null;
    }

    private static Number number(List<?> args, int index) {
        return index < args.size() ? (Number) args.get(index) : null;
    }

    /** jsonata-java's dateTimeToMillis, step by step, with UTC and the ISO calendar where it used the host's. */
    static Long toMillis(String timestamp, String picture) throws ParseException {
        if (timestamp == null || picture != null) {
            return Functions.dateTimeToMillis(timestamp, picture);
        }
        if (Functions.isNumeric(timestamp)) {
            SimpleDateFormat year = new SimpleDateFormat("yyyy", Locale.ROOT);
            year.setTimeZone(TimeZone.getTimeZone("UTC"));
            return year.parse(timestamp).getTime();
        }
        String text = timestamp;
        try {
            int length = text.length();
            if (length > 5 && (text.charAt(length - 5) == '+' || text.charAt(length - 5) == '-')
                    && text.substring(length - 4).chars().allMatch(Character::isDigit)) {
                text = text.substring(0, length - 2) + ':' + text.substring(length - 2); // +0130 -> +01:30
            }
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (RuntimeException noOffset) {
            try {
                return LocalDate.parse(text, DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT))
                        .atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            } catch (DateTimeParseException notADate) {
                // jsonata-java reads a date-time without offset in the host's zone
                return LocalDateTime.parse(text).atOffset(ZoneOffset.UTC).toInstant().toEpochMilli();
            }
        }
    }

    /** jsonata-java's parseInteger, with the case changes and the picture-less separators of Locale.ROOT/English. */
    static Number parseInteger(String value, String picture) throws ParseException, JException {
        if (value == null) {
            return null;
        }
        if (picture == null) {
            try {
                return new DecimalFormat("#,##0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)).parse(value);
            } catch (ParseException unreadable) {
                return null; // as jsonata-java answers an unreadable number
            }
        }
        String presentation = picture.endsWith(";o") ? picture.substring(0, picture.length() - 2) : picture;
        return switch (presentation) {
            case "i" -> Functions.parseInteger(value.toUpperCase(Locale.ROOT), "I");
            case "W", "wW", "Ww" -> Functions.parseInteger(value.toLowerCase(Locale.ROOT), "w");
            default -> Functions.parseInteger(value, picture);
        };
    }

    /**
     * The formatting's result as a host whose locale changes the case of 'i' and 'I' like Locale.ROOT would give it:
     * every 'İ' or 'ı' in it came from jsonata-java's case change of English text, except those of the picture,
     * which are stood in for by private-use characters the picture does not hold while it is formatted.
     */
    static String withCaseOfRoot(String picture, UnaryOperator<String> format) {
        String shielded = picture;
        char dotted = 0;
        char dotless = 0;
        if (picture != null && (picture.indexOf(DOTTED_CAPITAL_I) >= 0 || picture.indexOf(DOTLESS_SMALL_I) >= 0)) {
            dotted = unusedPrivateUse(picture, '\uE000');
            dotless = unusedPrivateUse(picture, (char) (dotted + 1));
            shielded = picture.replace(DOTTED_CAPITAL_I, dotted).replace(DOTLESS_SMALL_I, dotless);
        }
        String formatted = format.apply(shielded);
        if (formatted == null) {
            return null;
        }
        formatted = formatted.replace(DOTTED_CAPITAL_I, 'I').replace(DOTLESS_SMALL_I, 'i');
        return dotted == 0 ? formatted : formatted.replace(dotted, DOTTED_CAPITAL_I).replace(dotless, DOTLESS_SMALL_I);
    }

    private static char unusedPrivateUse(String text, char from) {
        char c = from;
        while (text.indexOf(c) >= 0) {
            c++;
        }
        return c;
    }
}
