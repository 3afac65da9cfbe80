-- Linking an event reads its provider's links by value (provider = ? AND ref_value IN (...)). With ref_value alone
-- indexed, PostgreSQL whose statistics lagged a fast-growing table read the primary key's whole provider range
-- instead (5 ms with 40,000 links, against 0.1 ms), so each event cost more the more orders there were. With both
-- columns in one index the lookup reads only the ids named, statistics or not; the operator's search by value
-- reads the same index by its first column.
DROP INDEX ix_order_link_ref_value;
CREATE INDEX ix_order_link_ref ON order_link (ref_value, provider);
