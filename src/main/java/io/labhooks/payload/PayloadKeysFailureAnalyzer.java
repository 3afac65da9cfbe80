package io.labhooks.payload;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports an unusable LABHOOKS_PAYLOAD_KEYS as Spring Boot's "APPLICATION FAILED TO START" with its one-line
 * reason, instead of a stack trace through every bean that needs the keys (registered in META-INF/spring.factories).
 */
class PayloadKeysFailureAnalyzer extends AbstractFailureAnalyzer<PayloadKeysException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PayloadKeysException cause) {
        return new FailureAnalysis(cause.getMessage(), "Set LABHOOKS_PAYLOAD_KEYS to id:base64key entries separated by "
                + "spaces or commas, newest first, each key 32 random bytes in base64 (openssl rand -base64 32), each id "
                + "listed once; or leave it empty to store raw payloads unencrypted.", null);
    }
}
