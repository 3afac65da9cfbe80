-- Dedupe keys move from Camel's JPA repository (a surrogate id from a Hibernate sequence) to its JDBC one: the
-- same table name and rows, keyed by what makes a key unique. One script for H2 and PostgreSQL.
CREATE TABLE dedupe_key_v3 (
    processor_name VARCHAR(255) NOT NULL,
    message_id     VARCHAR(255) NOT NULL,
    created_at     TIMESTAMP    NOT NULL,
    CONSTRAINT pk_camel_messageprocessed PRIMARY KEY (processor_name, message_id)
);
INSERT INTO dedupe_key_v3 (processor_name, message_id, created_at)
    SELECT processor_name, message_id, COALESCE(created_at, CURRENT_TIMESTAMP) FROM camel_messageprocessed;
DROP TABLE camel_messageprocessed;
DROP SEQUENCE camel_messageprocessed_seq;
ALTER TABLE dedupe_key_v3 RENAME TO camel_messageprocessed;
