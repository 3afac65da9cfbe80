package io.labhooks.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.labhooks.config.LabhooksProperties;

/** Puts the bearer-token guard in front of /admin and nothing else. */
@Configuration
public class AdminConfiguration {

    /** The same tokens for the operator API and the console. */
    @Bean
    AdminTokens adminTokens(LabhooksProperties properties) {
        return new AdminTokens(properties.admin());
    }

    @Bean
    FilterRegistrationBean<AdminAccess> adminAccess(AdminTokens tokens, ObjectMapper json) {
        FilterRegistrationBean<AdminAccess> registration = new FilterRegistrationBean<>(new AdminAccess(tokens, json));
        registration.addUrlPatterns("/admin", "/admin/*");
        return registration;
    }
}
