-- Tables the JDBC sink writes: the box's own database by default, or the DataSource in labhooks.sinks.jdbc.
-- Applied by their own Flyway history table (flyway_sink_history), so they can live in a database of yours.

-- One row per canonical event, exactly once by event_id.
CREATE TABLE lab_event_feed (
    event_id            VARCHAR(36)   NOT NULL PRIMARY KEY,
    provider            VARCHAR(64)   NOT NULL,
    type                VARCHAR(64)   NOT NULL,
    provider_event_type VARCHAR(255)  NOT NULL,
    external_order_id   VARCHAR(255),
    provider_order_id   VARCHAR(255),
    order_status        VARCHAR(32),
    out_of_order        BOOLEAN       NOT NULL,
    occurred_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    received_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    event_json          TEXT          NOT NULL,
    delivered_at        TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The latest canonical status of each order, as projected by the box.
CREATE TABLE lab_order_status (
    order_key           VARCHAR(400)  NOT NULL PRIMARY KEY,
    provider            VARCHAR(64)   NOT NULL,
    provider_order_id   VARCHAR(255),
    external_order_id   VARCHAR(255),
    status              VARCHAR(32)   NOT NULL,
    last_event_id       VARCHAR(36)   NOT NULL,
    event_seq           BIGINT        NOT NULL,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL
);
