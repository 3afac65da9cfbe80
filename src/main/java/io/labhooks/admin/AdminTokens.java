package io.labhooks.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import io.labhooks.config.LabhooksProperties;

/**
 * The admin tokens from LABHOOKS_ADMIN_TOKEN (several while one is rotated), shared by the operator API and the
 * console so both accept the same tokens and name callers the same way in the audit. Tokens are compared in
 * constant time and only ever shown as a fingerprint.
 */
public class AdminTokens {

    private final List<byte[]> tokens;

    public AdminTokens(LabhooksProperties.Admin settings) {
        String configured = settings == null || settings.token() == null ? "" : settings.token();
        this.tokens = Arrays.stream(configured.split("[\\s,]+")).filter(t -> !t.isBlank())
                .map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** No token set: the admin API and the console are off. */
    public boolean off() {
        return tokens.isEmpty();
    }

    /** The configured token equal to the one presented, if any. */
    public Optional<byte[]> match(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
        return tokens.stream().filter(t -> MessageDigest.isEqual(t, bytes)).findFirst();
    }

    /** The configured token with this fingerprint: a token rotated out has none. */
    public Optional<byte[]> withFingerprint(String fingerprint) {
        return tokens.stream().filter(t -> fingerprint(t).equals(fingerprint)).findFirst();
    }

    /** The first 8 hex digits of the token's SHA-256: tells rotated tokens apart in the audit, reveals nothing. */
    public static String fingerprint(byte[] token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token)).substring(0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An operator's self-chosen name, made safe for the audit table and logs (at most 100 plain characters). */
    public static String operatorName(String name) {
        String operator = name == null || name.isBlank() ? "unnamed operator"
                : name.strip().replaceAll("[^\\p{Alnum} @._-]", "_");
        return operator.length() > 100 ? operator.substring(0, 100) : operator;
    }

    /** The audit's name for a caller: "alice (token ab12cd34)". */
    public static String actor(String operator, byte[] token) {
        return operator + " (token " + fingerprint(token) + ")";
    }
}
