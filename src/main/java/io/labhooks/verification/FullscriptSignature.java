package io.labhooks.verification;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Fullscript's "Fullscript-Signature: t={unix seconds},v1={hex}" header: lowercase-hex HMAC-SHA256 of
 * "{t}.{raw body}", keyed with the UTF-8 bytes of the webhook secret (providers.md §5.6).
 */
public final class FullscriptSignature {

    private FullscriptSignature() {
    }

    public record Parsed(String timestamp, List<String> signatures) {
    }

    /** Null when the header has no t= or no v1= part. */
    public static Parsed parse(String header) {
        String timestamp = null;
        List<String> signatures = new ArrayList<>();
        for (String part : header.split(",")) {
            String item = part.trim();
            if (item.startsWith("t=")) {
                timestamp = item.substring(2);
            } else if (item.startsWith("v1=")) {
                signatures.add(item.substring(3));
            }
        }
        return timestamp == null || signatures.isEmpty() ? null : new Parsed(timestamp, signatures);
    }

    public static String sign(String secret, String timestamp, byte[] body) {
        return HexFormat.of().formatHex(Hmac.sha256(secret.getBytes(StandardCharsets.UTF_8), timestamp + ".", body));
    }

    public static boolean matches(List<String> secrets, Parsed header, byte[] body) {
        boolean matched = false;
        for (String secret : secrets) {
            byte[] expected = sign(secret, header.timestamp(), body).getBytes(StandardCharsets.US_ASCII);
            for (String presented : header.signatures()) {
                matched |= MessageDigest.isEqual(expected, presented.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
            }
        }
        return matched;
    }
}
