package io.labhooks.ingest;

/** What a provider must get back once its webhook is stored; chosen per provider in its route. */
public enum Acknowledgement {
    /** 202 Accepted: the event is stored and will be processed (Lola, Hurdle, Junction: any 2xx). */
    ACCEPTED(202),
    /** Exactly 200 (London Medical Laboratory counts anything else as a failed attempt). */
    OK(200),
    /** 200 with {"challenge": "<token>"} (Fullscript, also for its empty-body probe). */
    CHALLENGE(200);

    private final int status;

    Acknowledgement(int status) {
        this.status = status;
    }

    public int status() {
        return status;
    }
}
