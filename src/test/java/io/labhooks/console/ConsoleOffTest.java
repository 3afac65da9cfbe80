package io.labhooks.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/** Without an admin token the console is off, says so and how to turn it on, and signs no one in. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "labhooks.admin.token=")
@DirtiesContext
class ConsoleOffTest {

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:console-off-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    @LocalServerPort
    int port;

    @Test
    void theConsoleIsOffWithoutAnAdminToken() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        for (String path : new String[] {"/console/overview", "/console/sign-in"}) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(path).isEqualTo(503);
            assertThat(answer.body()).contains("The console is off", "LABHOOKS_ADMIN_TOKEN").doesNotContain("name=\"token\"");
            assertThat(answer.headers().firstValue("Content-Security-Policy")).isPresent();
        }
        HttpResponse<String> signIn = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/console/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("operator=a&token=")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(signIn.statusCode()).isEqualTo(503);
        assertThat(signIn.headers().allValues("Set-Cookie")).isEmpty();
    }
}
