package io.labhooks.console;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import io.labhooks.admin.AdminTokens;

/** The console's guard and security headers, on /console and nothing else. */
@Configuration
class ConsoleConfiguration implements WebMvcConfigurer {

    private final AdminTokens tokens;
    private final ConsoleSessions sessions;

    ConsoleConfiguration(AdminTokens tokens, ConsoleSessions sessions) {
        this.tokens = tokens;
        this.sessions = sessions;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new ConsoleGuard(tokens, sessions)).addPathPatterns("/console", "/console/**");
    }

    @Bean
    FilterRegistrationBean<ConsoleHeaders> consoleHeaders() {
        FilterRegistrationBean<ConsoleHeaders> registration = new FilterRegistrationBean<>(new ConsoleHeaders());
        registration.addUrlPatterns("/console", "/console/*");
        return registration;
    }
}
