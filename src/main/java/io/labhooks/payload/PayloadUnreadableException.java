package io.labhooks.payload;

/** A stored raw payload that this box cannot decrypt; the reason names the key id, never a key. */
public class PayloadUnreadableException extends RuntimeException {

    public PayloadUnreadableException(String reason) {
        super(reason);
    }
}
