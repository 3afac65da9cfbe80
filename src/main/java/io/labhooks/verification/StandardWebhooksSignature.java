package io.labhooks.verification;

import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;

/**
 * The Standard Webhooks signature (also Svix's): base64 HMAC-SHA256 of "{id}.{timestamp}.{raw body}", keyed with
 * the base64 material after "whsec_", sent as a space-separated list of "v1,{signature}" (several during rotation).
 * Written here rather than pulled in from the Svix SDK, which would bring an HTTP client and Kotlin runtime for
 * twenty lines of HMAC. Used both to verify providers (Lola, Junction) and to sign what the HTTP sink sends.
 */
public final class StandardWebhooksSignature {

    private static final String SECRET_PREFIX = "whsec_";

    private StandardWebhooksSignature() {
    }

    /** The HMAC key of a "whsec_..." secret. */
    public static byte[] key(String secret) {
        String material = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        byte[] key = Base64.getDecoder().decode(material);
        if (key.length == 0) {
            throw new IllegalArgumentException("empty signing key");
        }
        return key;
    }

    public static String sign(byte[] key, String messageId, long timestamp, byte[] body) {
        byte[] mac = Hmac.sha256(key, messageId + "." + timestamp + ".", body);
        return "v1," + Base64.getEncoder().encodeToString(mac);
    }

    /** True when any "v1," entry of the header matches any of the keys. */
    public static boolean matches(List<byte[]> keys, String messageId, String timestamp, byte[] body, String header) {
        boolean matched = false;
        for (byte[] key : keys) {
            byte[] expected = Hmac.sha256(key, messageId + "." + timestamp + ".", body);
            for (String entry : header.trim().split("\\s+")) {
                if (!entry.startsWith("v1,")) {
                    continue;
                }
                byte[] presented;
                try {
                    presented = Base64.getDecoder().decode(entry.substring(3));
                } catch (IllegalArgumentException notBase64) {
                    continue;
                }
                matched |= MessageDigest.isEqual(expected, presented);
            }
        }
        return matched;
    }
}
