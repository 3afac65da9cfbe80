package io.labhooks.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/** The LABHOOKS_PAYLOAD_KEYS format: id:base64key entries, newest first; refusals name the key id, never the key. */
class PayloadKeysTest {

    static String newKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    @Test
    void theFirstListedKeyEncryptsAndEveryListedKeyDecrypts() {
        PayloadKeys keys = new PayloadKeys(" 2026-12:" + newKey() + ", 2026-06:" + newKey() + "\n old_1:" + newKey() + " ");
        assertThat(keys.encrypting()).isTrue();
        assertThat(keys.newestId()).hasValue("2026-12");
        assertThat(keys.ids()).containsExactly("2026-12", "2026-06", "old_1");
        assertThat(keys.byId("2026-06")).isPresent();
        assertThat(keys.byId("2026-06").orElseThrow().toString()).isEqualTo("payload key '2026-06'");
    }

    @Test
    void noKeyMeansNoEncryption() {
        assertThat(new PayloadKeys("").encrypting()).isFalse();
        assertThat(new PayloadKeys(" , ").encrypting()).isFalse();
        assertThat(new PayloadKeys(null).newestId()).isEmpty();
    }

    @Test
    void aKeyThatIsNot32BytesIsRefusedByItsIdWithoutShowingIt() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        String good = newKey();
        assertThatThrownBy(() -> new PayloadKeys("new:" + good + " short:" + shortKey))
                .isInstanceOf(PayloadKeysException.class)
                .hasMessage("LABHOOKS_PAYLOAD_KEYS (labhooks.payload.keys): key 'short' decodes to 16 bytes; it must be"
                        + " exactly 32 (AES-256, e.g. openssl rand -base64 32)")
                .message().doesNotContain(shortKey).doesNotContain(good);
    }

    @Test
    void everyOtherMalformedSettingIsRefusedWithOneLineThatNeverHoldsTheKey() {
        String key = newKey();
        assertRefused("a:" + key + ",a:" + newKey(), "key id 'a' is listed twice", key);
        assertRefused("a:" + key + " " + key, "entry 2 is not id:base64key", key);
        assertRefused("a:" + key + " b:not*base64!", "key 'b' is not valid base64", key);
        assertRefused(":" + key, "entry 1 has no valid key id before ':' (1-32 letters, digits, '.', '_' or '-')", key);
        assertRefused("key/with/slash:" + key, "entry 1 has no valid key id before ':' (1-32 letters, digits, '.', '_' or '-')", key);
        assertRefused("x".repeat(33) + ":" + key, "entry 1 has no valid key id before ':' (1-32 letters, digits, '.', '_' or '-')", key);
        assertRefused("empty:", "key 'empty' decodes to 0 bytes; it must be exactly 32 (AES-256, e.g. openssl rand -base64 32)", key);
    }

    private static void assertRefused(String setting, String reason, String key) {
        assertThatThrownBy(() -> new PayloadKeys(setting)).isInstanceOf(PayloadKeysException.class)
                .hasMessage("LABHOOKS_PAYLOAD_KEYS (labhooks.payload.keys): " + reason)
                .message().doesNotContain(key).doesNotContain("\n");
    }
}
