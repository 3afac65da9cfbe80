-- Box instances: each running box keeps a heartbeat row (written with the database's clock, so boxes whose clocks
-- differ a little agree on who is gone). Claims name the instance that holds them, so the claims of a box whose
-- heartbeat lapsed, or of a box's own previous run, are released at once instead of waiting out their lease.
CREATE TABLE box_instance (
    id           VARCHAR(36)   NOT NULL PRIMARY KEY,
    name         VARCHAR(255)  NOT NULL,
    started_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    heartbeat_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_box_instance_name ON box_instance (name);
ALTER TABLE inbound_event ADD COLUMN claimed_instance VARCHAR(36);
ALTER TABLE delivery ADD COLUMN claimed_instance VARCHAR(36);
CREATE INDEX ix_inbound_event_claimed_instance ON inbound_event (claimed_instance);
CREATE INDEX ix_delivery_claimed_instance ON delivery (claimed_instance);

-- The sinks every box of this deployment switches on (one row). A box whose sinks differ from those of running
-- boxes refuses to start: an event is queued for the sinks of the box that maps it, so all boxes must agree.
CREATE TABLE deployment (
    id         INTEGER       NOT NULL PRIMARY KEY,
    sinks      VARCHAR(2000),
    changed_at TIMESTAMP WITH TIME ZONE
);
INSERT INTO deployment (id, sinks, changed_at) VALUES (1, NULL, NULL);

-- Dedupe windows: a stored webhook's dedupe key is released once its provider's window has passed, after which
-- the same body is a new event (stored again under a new event id), so the key is no longer unique here.
ALTER TABLE inbound_event ADD COLUMN dedupe_expires_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE inbound_event DROP CONSTRAINT uq_inbound_event_dedupe;
CREATE INDEX ix_inbound_event_dedupe_key ON inbound_event (dedupe_key);
CREATE INDEX ix_inbound_event_dedupe_expires ON inbound_event (dedupe_expires_at);
-- Webhooks stored before windows existed keep their keys for 62 days from receipt, longer than any default window.
UPDATE inbound_event SET dedupe_expires_at = received_at + INTERVAL '62' DAY;
