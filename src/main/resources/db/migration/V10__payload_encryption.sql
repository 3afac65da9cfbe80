-- Raw payloads encrypted at rest: the id of the key inbound_event.body is encrypted under (labhooks.payload.keys).
-- NULL: the body is plain JSON, stored before encryption was switched on, or purged (empty). The index finds the
-- payloads not under the newest key, for re-encryption and health, without reading the bodies.
ALTER TABLE inbound_event ADD COLUMN payload_key_id VARCHAR(32);
CREATE INDEX ix_inbound_event_payload_key ON inbound_event (payload_key_id, body_purged_at);
