package io.labhooks.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.labhooks.config.LabhooksProperties;

/** Puts the bearer-token guard in front of /admin and nothing else. */
@Configuration
public class AdminConfiguration {

    @Bean
    FilterRegistrationBean<AdminAccess> adminAccess(LabhooksProperties properties, ObjectMapper json) {
        FilterRegistrationBean<AdminAccess> registration = new FilterRegistrationBean<>(new AdminAccess(properties.admin(), json));
        registration.addUrlPatterns("/admin", "/admin/*");
        return registration;
    }
}
