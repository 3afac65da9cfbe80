package io.labhooks.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The envelope: encrypted under the newest key, bound to its row, plain JSON rows read as they are. */
class PayloadCipherTest {

    static final String A = PayloadKeysTest.newKey();
    static final String B = PayloadKeysTest.newKey();
    static final byte[] BODY = "{\"patient\":{\"name\":\"Jane Patient\",\"dob\":\"1980-02-03\"}}".getBytes(StandardCharsets.UTF_8);

    final PayloadCipher underA = new PayloadCipher(new PayloadKeys("A:" + A));
    final PayloadCipher underBThenA = new PayloadCipher(new PayloadKeys("B:" + B + ",A:" + A));
    final PayloadCipher underBOnly = new PayloadCipher(new PayloadKeys("B:" + B));

    @Test
    void aSealedPayloadIsAnEnvelopeUnderTheNewestKeyAndOpensToTheExactBytes() {
        PayloadCipher.Stored stored = underBThenA.seal(BODY, "lola|evt_1");
        assertThat(stored.keyId()).isEqualTo("B");
        assertThat(Arrays.copyOf(stored.body(), 7)).containsExactly(0x00, 'L', 'H', 'E', 1, 1, 'B');
        // Strings of several bytes: random ciphertext holds any one byte ('{' among them) about as often as not.
        assertThat(new String(stored.body(), StandardCharsets.ISO_8859_1)).doesNotContain("Jane", "1980", "patient");
        assertThat(stored.body()).hasSize(7 + 12 + BODY.length + 16);
        assertThat(underBThenA.open(stored.body(), "lola|evt_1")).isEqualTo(BODY);
        assertThat(underBOnly.open(stored.body(), "lola|evt_1")).isEqualTo(BODY);
        assertThat(underBThenA.seal(BODY, "lola|evt_1").body()).as("a fresh nonce each time").isNotEqualTo(stored.body());
    }

    @Test
    void anOlderListedKeyStillDecryptsAndPlainJsonIsReadAsItIs() {
        byte[] underOldKey = underA.seal(BODY, "lola|evt_2").body();
        assertThat(underBThenA.open(underOldKey, "lola|evt_2")).isEqualTo(BODY);
        assertThat(underBThenA.open(BODY, "lola|evt_3")).isEqualTo(BODY);
        assertThat(underBThenA.open(new byte[0], "lola|evt_4")).isEmpty();
        PayloadCipher off = new PayloadCipher(new PayloadKeys(""));
        PayloadCipher.Stored plain = off.seal(BODY, "lola|evt_5");
        assertThat(plain.keyId()).isNull();
        assertThat(plain.body()).isEqualTo(BODY);
    }

    @Test
    void aPayloadUnderAKeyThatIsNotConfiguredNamesThatKey() {
        byte[] underOldKey = underA.seal(BODY, "lola|evt_6").body();
        assertThatThrownBy(() -> underBOnly.open(underOldKey, "lola|evt_6")).isInstanceOf(PayloadUnreadableException.class)
                .hasMessage("the raw payload is encrypted under key 'A', which is not in LABHOOKS_PAYLOAD_KEYS");
    }

    @Test
    void aCiphertextCopiedToAnotherRowOrUnderAnotherKeyWithTheSameIdDoesNotDecrypt() {
        byte[] sealed = underA.seal(BODY, "lola|evt_7").body();
        String reason = "the raw payload could not be decrypted with key 'A': that id holds another key, or the stored"
                + " payload was altered or copied from another row";
        assertThatThrownBy(() -> underA.open(sealed, "lola|evt_8")).isInstanceOf(PayloadUnreadableException.class)
                .hasMessage(reason);
        PayloadCipher otherKeySameId = new PayloadCipher(new PayloadKeys("A:" + PayloadKeysTest.newKey()));
        assertThatThrownBy(() -> otherKeySameId.open(sealed, "lola|evt_7")).hasMessage(reason);
        byte[] altered = sealed.clone();
        altered[altered.length - 20] ^= 1;
        assertThatThrownBy(() -> underA.open(altered, "lola|evt_7")).hasMessage(reason);
    }

    @Test
    void aTruncatedOrUnknownEnvelopeIsRefusedWithItsReason() {
        byte[] sealed = underA.seal(BODY, "lola|evt_9").body();
        assertThatThrownBy(() -> underA.open(Arrays.copyOf(sealed, 20), "lola|evt_9"))
                .hasMessage("the raw payload's envelope is truncated or malformed");
        byte[] future = sealed.clone();
        future[4] = 2;
        assertThatThrownBy(() -> underA.open(future, "lola|evt_9"))
                .hasMessage("the raw payload is in envelope version 2, which this version of labhooks cannot read");
        byte[] badId = sealed.clone();
        badId[6] = '\n';
        assertThatThrownBy(() -> underA.open(badId, "lola|evt_9"))
                .hasMessage("the raw payload's envelope is malformed (its key id is not valid)");
    }
}
