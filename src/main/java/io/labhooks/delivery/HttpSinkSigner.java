package io.labhooks.delivery;

import java.nio.charset.StandardCharsets;
import java.time.Clock;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpMethods;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.event.EventExchange;
import io.labhooks.verification.StandardWebhooksSignature;

/**
 * Signs what the HTTP sink posts with the Standard Webhooks scheme, webhook-id = eventId, so receivers verify it
 * with any Standard Webhooks library and dedupe redeliveries on the id.
 */
@Component("httpSinkSigner")
public class HttpSinkSigner {

    private final Clock clock;
    private final LabhooksProperties.HttpSink settings;

    public HttpSinkSigner(Clock clock, LabhooksProperties properties) {
        this.clock = clock;
        this.settings = properties.sinks().http();
    }

    public void sign(Exchange exchange) {
        Message message = exchange.getMessage();
        byte[] body = message.getBody(String.class).getBytes(StandardCharsets.UTF_8);
        String id = exchange.getProperty(EventExchange.EVENT_ID, String.class);
        long timestamp = clock.instant().getEpochSecond();
        message.setHeader("webhook-id", id);
        message.setHeader("webhook-timestamp", Long.toString(timestamp));
        message.setHeader("webhook-signature",
                StandardWebhooksSignature.sign(StandardWebhooksSignature.key(settings.secret()), id, timestamp, body));
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        // the enum itself: given the String "POST", camel-http looks up a type converter for every request it sends
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.POST);
        message.setBody(body);
    }
}
