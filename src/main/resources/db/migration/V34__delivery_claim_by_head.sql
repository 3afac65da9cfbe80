-- The claim reads heads of line through ix_delivery_head. H2's planner preferred ix_delivery_sink_due (sink, status,
-- next_attempt_at): a range over every waiting delivery of the sink, then a sort, so a claim grew with the backlog.
-- Nothing else reads delivery by sink and due time (the backlog counts use ix_delivery_due).
DROP INDEX ix_delivery_sink_due;
