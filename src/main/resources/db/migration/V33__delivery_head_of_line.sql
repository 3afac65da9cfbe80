-- Each order's head of line per sink, kept explicitly: the delivery the sink's poller may claim next for that order
-- (its earliest PENDING one; always, for a delivery without an order). The claim then reads only heads, through
-- ix_delivery_head, instead of checking every waiting delivery for an earlier one of the same order.
ALTER TABLE delivery ADD COLUMN head_of_line BOOLEAN DEFAULT FALSE NOT NULL;

UPDATE delivery SET head_of_line = TRUE
WHERE status = 'PENDING' AND (order_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM delivery earlier
    WHERE earlier.sink = delivery.sink AND earlier.order_key = delivery.order_key
    AND earlier.status = 'PENDING' AND earlier.canonical_event_seq < delivery.canonical_event_seq));

CREATE INDEX ix_delivery_head ON delivery (sink, head_of_line, status, replayed, canonical_event_seq);
