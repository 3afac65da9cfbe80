package io.labhooks.fetch;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.springframework.stereotype.Component;

/**
 * GETs a path of a provider's API through Camel's HTTP component. The endpoint is the configured base URL and the
 * path is appended to it (CamelHttpPath), so no call can go to another host. No hidden retries (the HTTP client's are
 * off in application.yaml; the fetch queue retries, visibly), redirects are not followed, and errors come back as an
 * answer, never as an exception. Nothing here logs: callers log the path template and status, never keys or bodies.
 */
@Component
public class ProviderApiClient {

    private final ProducerTemplate producer;
    private final Clock clock;

    public ProviderApiClient(ProducerTemplate producer, Clock clock) {
        this.producer = producer;
        this.clock = clock;
    }

    /** What the API answered: the status (0 when it could not be reached), Retry-After, the body, or why it failed. */
    public record Answer(int status, Optional<Duration> retryAfter, byte[] body, String failure) {

        public boolean reached() {
            return status > 0;
        }
    }

    /** Tries each key in turn while the API refuses it with 401, so a rotated key keeps working. */
    public Answer get(ProviderApi api, String path) {
        return get(api, path, "");
    }

    /** Like {@link #get(ProviderApi, String)} with a query string (already encoded; empty for none). */
    public Answer get(ProviderApi api, String path, String query) {
        Answer answer = null;
        for (String key : api.keys()) {
            answer = get(api, path, query, key);
            if (answer.status() != 401) {
                if (answer.reached()) {
                    api.accepted(key);
                }
                return answer;
            }
        }
        return answer;
    }

    private Answer get(ProviderApi api, String path, String query, String key) {
        long timeout = api.timeout().toMillis();
        String endpoint = api.baseUrl() + "?throwExceptionOnFailure=false&followRedirects=false"
                + "&connectTimeout=" + timeout + "&responseTimeout=" + timeout + "&connectionRequestTimeout=" + timeout;
        Exchange done = producer.request(endpoint, exchange -> {
            var message = exchange.getIn();
            message.setBody(null);
            message.setHeader(Exchange.HTTP_METHOD, "GET");
            message.setHeader(Exchange.HTTP_PATH, path);
            if (!query.isEmpty()) {
                message.setHeader(Exchange.HTTP_QUERY, query);
            }
            message.setHeader("Accept", "application/json");
            message.setHeader(api.settings().auth().header(), api.settings().auth().value().replace("{key}", key));
            api.settings().headers().forEach(message::setHeader);
        });
        if (done.getException() != null) {
            Throwable failure = done.getException();
            return new Answer(0, Optional.empty(), new byte[0], failure.getClass().getSimpleName()
                    + (failure.getMessage() == null ? "" : ": " + failure.getMessage().lines().findFirst().orElse("")));
        }
        var message = done.getMessage();
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        byte[] body = message.getBody(byte[].class);
        return new Answer(status == null ? 0 : status, retryAfter(message.getHeader("Retry-After", String.class)),
                body == null ? new byte[0] : body, status == null ? "no HTTP status" : null);
    }

    /** Retry-After as seconds or as an HTTP date. */
    Optional<Duration> retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String text = value.trim();
        if (text.matches("\\d{1,9}")) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
        }
        try {
            Duration until = Duration.between(clock.instant(), ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return Optional.of(until.isNegative() ? Duration.ZERO : until);
        } catch (DateTimeParseException unreadable) {
            return Optional.empty();
        }
    }
}
