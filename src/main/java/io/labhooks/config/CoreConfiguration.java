package io.labhooks.config;

import java.time.Clock;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
@EnableConfigurationProperties(LabhooksProperties.class)
class CoreConfiguration {

    /** One clock for signature tolerance, receipt times and retry schedules. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
