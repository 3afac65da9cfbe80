package io.labhooks.payload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The keys raw payloads are encrypted under, from labhooks.payload.keys (LABHOOKS_PAYLOAD_KEYS): entries
 * {@code id:base64key} separated by spaces or commas, each key exactly 32 bytes (AES-256). The first entry is the
 * newest and encrypts; every entry decrypts, so a key can be rotated out once nothing is stored under it. A
 * setting that cannot be used stops the box with a reason naming the entry's key id, never the key. With no key
 * the box stores payloads as plain JSON, as before, and says so.
 */
@Component
public class PayloadKeys {

    static final String SETTING = "LABHOOKS_PAYLOAD_KEYS (labhooks.payload.keys)";
    /** Key ids go into every envelope and into inbound_event.payload_key_id (VARCHAR(32)). */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,32}");
    static final int KEY_BYTES = 32;
    private static final Logger LOG = LoggerFactory.getLogger(PayloadKeys.class);

    /** One key; its toString names the id only, so a key can never be logged by accident. */
    record Key(String id, SecretKey secret) {
        @Override
        public String toString() {
            return "payload key '" + id + "'";
        }
    }

    private final Map<String, Key> keys; // in the order listed: newest first

    public PayloadKeys(@Value("${labhooks.payload.keys:}") String setting) {
        this.keys = parse(setting);
        if (keys.isEmpty()) {
            LOG.warn("Raw payloads are stored unencrypted: set LABHOOKS_PAYLOAD_KEYS to encrypt them at rest");
        } else {
            LOG.info("Raw payloads are encrypted at rest (AES-256-GCM) under key '{}'; keys that decrypt: {}",
                    newestId().orElseThrow(), ids());
        }
    }

    static Map<String, Key> parse(String setting) {
        Map<String, Key> keys = new LinkedHashMap<>();
        String[] entries = setting == null ? new String[0] : setting.strip().split("[\\s,]+");
        int position = 0;
        for (String entry : entries) {
            if (entry.isEmpty()) {
                continue;
            }
            position++;
            int colon = entry.indexOf(':');
            if (colon < 0) {
                throw new PayloadKeysException("entry " + position + " is not id:base64key");
            }
            String id = entry.substring(0, colon);
            if (!ID.matcher(id).matches()) {
                // Not echoed: a malformed entry may be a key pasted in the wrong place.
                throw new PayloadKeysException("entry " + position + " has no valid key id before ':' (1-32 letters, digits, '.', '_' or '-')");
            }
            if (keys.containsKey(id)) {
                throw new PayloadKeysException("key id '" + id + "' is listed twice");
            }
            byte[] decoded;
            try {
                decoded = Base64.getDecoder().decode(entry.substring(colon + 1));
            } catch (IllegalArgumentException notBase64) {
                throw new PayloadKeysException("key '" + id + "' is not valid base64");
            }
            try {
                if (decoded.length != KEY_BYTES) {
                    throw new PayloadKeysException("key '" + id + "' decodes to " + decoded.length
                            + " bytes; it must be exactly 32 (AES-256, e.g. openssl rand -base64 32)");
                }
                keys.put(id, new Key(id, new SecretKeySpec(decoded, "AES")));
            } finally {
                Arrays.fill(decoded, (byte) 0); // SecretKeySpec holds its own copy
            }
        }
        return keys;
    }

    public boolean encrypting() {
        return !keys.isEmpty();
    }

    /** The key that encrypts; empty when no key is set. */
    public Optional<String> newestId() {
        return keys.keySet().stream().findFirst();
    }

    /** Every configured key id, newest first. */
    public List<String> ids() {
        return new ArrayList<>(keys.keySet());
    }

    Optional<Key> newest() {
        return keys.values().stream().findFirst();
    }

    Optional<Key> byId(String id) {
        return Optional.ofNullable(keys.get(id));
    }
}
