package io.labhooks.payload;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

import org.springframework.stereotype.Component;

/**
 * The at-rest format of a raw payload (inbound_event.body). Encrypted, it is an envelope:
 * <pre>
 *   magic 00 4C 48 45 ("\0LHE") | version 01 | key id length n (1..32) | key id (n ASCII bytes)
 *   | nonce (12 random bytes) | AES-256-GCM ciphertext with its 16-byte tag
 * </pre>
 * A JSON text never starts with a NUL byte, so an envelope cannot be mistaken for a payload stored as plain JSON
 * before encryption was switched on, and those stay readable as they are. The additional authenticated data is
 * the envelope's header (magic to key id) followed by the row's dedupe key (UTF-8), so the key id cannot be
 * altered and a ciphertext copied onto another row does not decrypt.
 */
@Component
public class PayloadCipher {

    static final byte[] MAGIC = {0x00, 'L', 'H', 'E'};
    static final byte VERSION = 1;
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;

    /**
     * What the resources fetched for a row (inbound_event.fetched) are bound to: the row's dedupe key and a mark of
     * their own, so they cannot be swapped with the row's raw body.
     */
    public static String fetchedBinding(String dedupeKey) {
        return dedupeKey + "|fetched";
    }

    /** What to write into a row: the body, and the key it is under (null: plain JSON). */
    public record Stored(byte[] body, String keyId) {
    }

    private final PayloadKeys keys;
    private final SecureRandom random = new SecureRandom();

    public PayloadCipher(PayloadKeys keys) {
        this.keys = keys;
    }

    /** The body to store for the row with this dedupe key: under the newest key, or the plaintext when none is set. */
    public Stored seal(byte[] plaintext, String dedupeKey) {
        PayloadKeys.Key key = keys.newest().orElse(null);
        if (key == null) {
            return new Stored(plaintext, null);
        }
        byte[] header = header(key.id());
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(header, dedupeKey));
            byte[] sealed = cipher.doFinal(plaintext);
            return new Stored(ByteBuffer.allocate(header.length + NONCE_BYTES + sealed.length)
                    .put(header).put(nonce).put(sealed).array(), key.id());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
        }
    }

    /**
     * The plaintext of a stored body: decrypted if it is an envelope, as it is otherwise (stored before encryption,
     * or purged and empty). Throws {@link PayloadUnreadableException} naming the key id when it cannot be decrypted.
     */
    public byte[] open(byte[] stored, String dedupeKey) {
        if (!isEnvelope(stored)) {
            return stored;
        }
        if (stored.length < MAGIC.length + 2) {
            throw new PayloadUnreadableException("the raw payload's envelope is truncated");
        }
        if (stored[MAGIC.length] != VERSION) {
            throw new PayloadUnreadableException("the raw payload is in envelope version " + stored[MAGIC.length]
                    + ", which this version of labhooks cannot read");
        }
        int idLength = stored[MAGIC.length + 1] & 0xff;
        int headerEnd = MAGIC.length + 2 + idLength;
        if (idLength < 1 || idLength > 32 || stored.length < headerEnd + NONCE_BYTES + TAG_BITS / 8) {
            throw new PayloadUnreadableException("the raw payload's envelope is truncated or malformed");
        }
        String keyId = new String(stored, MAGIC.length + 2, idLength, StandardCharsets.US_ASCII);
        if (!PayloadKeys.ID.matcher(keyId).matches()) {
            throw new PayloadUnreadableException("the raw payload's envelope is malformed (its key id is not valid)");
        }
        PayloadKeys.Key key = keys.byId(keyId).orElseThrow(() -> new PayloadUnreadableException(
                "the raw payload is encrypted under key '" + keyId + "', which is not in LABHOOKS_PAYLOAD_KEYS"));
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, stored, headerEnd, NONCE_BYTES));
            cipher.updateAAD(aad(Arrays.copyOf(stored, headerEnd), dedupeKey));
            return cipher.doFinal(stored, headerEnd + NONCE_BYTES, stored.length - headerEnd - NONCE_BYTES);
        } catch (AEADBadTagException wrong) {
            throw new PayloadUnreadableException("the raw payload could not be decrypted with key '" + keyId
                    + "': that id holds another key, or the stored payload was altered or copied from another row");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
        }
    }

    /** Whether a stored body is an envelope (and not plain JSON). */
    private static boolean isEnvelope(byte[] stored) {
        return stored != null && stored.length >= MAGIC.length && Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    private static byte[] header(String keyId) {
        byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(MAGIC.length + 2 + id.length).put(MAGIC).put(VERSION).put((byte) id.length).put(id).array();
    }

    private static byte[] aad(byte[] header, String dedupeKey) {
        byte[] row = dedupeKey.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(header.length + row.length).put(header).put(row).array();
    }
}
