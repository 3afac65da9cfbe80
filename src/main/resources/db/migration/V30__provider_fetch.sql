-- Fetch on notify: an inbound event whose provider API is configured for its event type waits in status FETCHING
-- until the resources it points at are fetched (or the fetch budget runs out), then goes on as RECEIVED. The fetched
-- JSON is kept on the event's own row, so it is purged, erased and re-encrypted with the raw body, and a remap
-- never calls the provider again. fetched_key_id: the payload key it is encrypted under (NULL: plain or none).
-- fetch_outcome: ENRICHED (everything fetched), WEBHOOK_ONLY (given up after the fetch budget) or REJECTED
-- (the provider API does not know the resource: never normalised, never delivered). The claim query of the fetch
-- stage is served by ix_inbound_event_status (status, id).
ALTER TABLE inbound_event ADD COLUMN fetched BYTEA;
ALTER TABLE inbound_event ADD COLUMN fetched_key_id VARCHAR(32);
ALTER TABLE inbound_event ADD COLUMN fetch_outcome VARCHAR(16);
ALTER TABLE inbound_event ADD COLUMN fetch_note VARCHAR(1000);
ALTER TABLE inbound_event ADD COLUMN fetch_attempts INTEGER DEFAULT 0 NOT NULL;
