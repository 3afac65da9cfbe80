package io.labhooks.payload;

/** LABHOOKS_PAYLOAD_KEYS cannot be used: the box refuses to start with this one-line reason, which never holds a key. */
public class PayloadKeysException extends RuntimeException {

    public PayloadKeysException(String reason) {
        super(PayloadKeys.SETTING + ": " + reason);
    }
}
