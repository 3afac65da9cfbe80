-- Order links: a provider names one order by several ids (LML: the order and its test registrations; Hurdle: the
-- order number, kit ids and test id; Junction: the order and its appointment). Each id an event carries is linked
-- to the order key it was first recorded under, so a later event naming only another of the order's ids joins the
-- same order state and history. Which event fields are such ids is labhooks.orders.link-refs.
CREATE TABLE order_link (
    provider   VARCHAR(64)   NOT NULL,
    kind       VARCHAR(64)   NOT NULL,
    ref_value  VARCHAR(255)  NOT NULL,
    order_key  VARCHAR(400)  NOT NULL,
    linked_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_order_link PRIMARY KEY (provider, kind, ref_value)
);
-- An order's links, for its erasure.
CREATE INDEX ix_order_link_order ON order_link (order_key);
-- The console finds an order by any of its ids without knowing the id's kind.
CREATE INDEX ix_order_link_ref_value ON order_link (ref_value);
