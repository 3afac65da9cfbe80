package io.labhooks.admin;

/** An admin request that cannot be served as asked: answered with its status and one-line reason. */
public class AdminRequestException extends RuntimeException {

    private final int status;

    public AdminRequestException(int status, String reason) {
        super(reason);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
