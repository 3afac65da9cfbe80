-- The operator console: finding an order by the clinic's or a provider's id, or by a provider event id, and the
-- overview's per-provider last received time, without scanning the tables.
CREATE INDEX ix_order_state_external_order ON order_state (external_order_id);
CREATE INDEX ix_order_state_provider_order ON order_state (provider_order_id);
CREATE INDEX ix_inbound_event_provider_event ON inbound_event (provider_event_id);
CREATE INDEX ix_inbound_event_provider_received ON inbound_event (provider, received_at);
