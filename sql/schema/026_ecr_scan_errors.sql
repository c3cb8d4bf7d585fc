-- What a snapshot is missing and why (access denied, throttled, deleted mid-scan, ...).
CREATE TABLE IF NOT EXISTS ecr_scan_errors (
    snapshot_id     VARCHAR NOT NULL,
    taken_at        TIMESTAMP NOT NULL,
    account_id      VARCHAR,
    region          VARCHAR,
    repository_name VARCHAR,  -- NULL: the whole account or region is missing
    operation       VARCHAR NOT NULL,
    error_code      VARCHAR NOT NULL,
    message         VARCHAR NOT NULL
)
