-- Every attempt to deliver a report to a destination (`ecrcost report --deliver`, the Dagster
-- report_delivery asset). A report is its period and the digest of its CSV files: a destination
-- with a 'sent' row for both is never sent that report again; a 'failed' one is tried next run.
CREATE TABLE IF NOT EXISTS report_deliveries (
    billing_period VARCHAR NOT NULL,
    destination    VARCHAR NOT NULL,   -- the destination's label (a webhook's secret path hashed)
    report_digest  VARCHAR NOT NULL,   -- sha256 of the report's CSV files (names and bytes)
    status         VARCHAR NOT NULL,   -- sent | failed
    attempted_at   TIMESTAMP NOT NULL, -- UTC
    detail         VARCHAR NOT NULL    -- what was sent, or the error
)
