package io.labhooks.delivery;

import java.util.Properties;

import org.apache.camel.component.mail.MailComponent;
import org.apache.camel.component.mail.MailConfiguration;
import org.apache.camel.spi.ComponentCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.labhooks.config.LabhooksProperties;

/**
 * SMTP credentials and STARTTLS for the email sink, set only when configured: Camel's mail component turns SMTP
 * authentication on as soon as a username is set, even an empty one, which unauthenticated relays then refuse.
 */
@Configuration
class EmailSinkConfiguration {

    @Bean
    ComponentCustomizer smtpSettings(LabhooksProperties properties) {
        LabhooksProperties.EmailSink email = properties.sinks().email();
        return ComponentCustomizer.forType(MailComponent.class, mail -> {
            MailConfiguration configuration = mail.getConfiguration();
            if (email.username() != null && !email.username().isBlank()) {
                configuration.setUsername(email.username());
                configuration.setPassword(email.password());
            }
            if (email.starttls()) {
                Properties tls = new Properties();
                tls.put("mail.smtp.starttls.enable", "true");
                tls.put("mail.smtp.starttls.required", "true");
                configuration.setAdditionalJavaMailProperties(tls);
            }
        });
    }
}
