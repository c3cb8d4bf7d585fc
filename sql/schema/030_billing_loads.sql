-- One row per loaded billing period: what was read, what it summed to, and its state.
CREATE TABLE IF NOT EXISTS billing_loads (
    billing_period   VARCHAR PRIMARY KEY,  -- YYYY-MM
    source_format    VARCHAR NOT NULL,
    location         VARCHAR NOT NULL,
    files            VARCHAR[] NOT NULL,   -- the current files read (manifest-listed where one exists)
    fingerprint      VARCHAR NOT NULL,     -- of the files and manifest: changes on restatement
    ecr_rows         BIGINT NOT NULL,
    source_ecr_cost  DOUBLE NOT NULL,      -- sum of ECR unblended cost in the source files
    complete         BOOLEAN NOT NULL,     -- false: legacy status said UPDATING when read
    notes            VARCHAR,              -- schema drift, warnings
    loaded_at        TIMESTAMP NOT NULL
)
