package io.labhooks.payload;

import io.labhooks.config.StartupRefusal;

/** LABHOOKS_PAYLOAD_KEYS cannot be used: the box refuses to start with this one-line reason, which never holds a key. */
public class PayloadKeysException extends StartupRefusal {

    public PayloadKeysException(String reason) {
        super(PayloadKeys.SETTING + ": " + reason, "Set LABHOOKS_PAYLOAD_KEYS to id:base64key entries separated by "
                + "spaces or commas, newest first, each key 32 random bytes in base64 (openssl rand -base64 32), each id "
                + "listed once; or leave it empty to store raw payloads unencrypted.");
    }
}
