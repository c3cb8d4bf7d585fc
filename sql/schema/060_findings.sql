-- What is worth cleaning in one inventory snapshot; rebuilt (delete + insert) a snapshot at a time.
CREATE TABLE IF NOT EXISTS findings (
    snapshot_id      VARCHAR NOT NULL,
    taken_at         TIMESTAMP NOT NULL,  -- UTC: the snapshot's time, the instant judged
    built_at         TIMESTAMP NOT NULL,  -- UTC
    kind             VARCHAR NOT NULL,    -- no_policy | idle_policy | untagged_images | ...
    rank             INTEGER NOT NULL,    -- order within the kind, 1 first (largest or costliest)
    account_id       VARCHAR,             -- NULL: the finding spans repositories (see repositories)
    region           VARCHAR,
    repository_name  VARCHAR,
    subject          VARCHAR,             -- image digest, layer digest, ... (NULL: the repository)
    detail           VARCHAR NOT NULL,    -- one readable sentence, caveats included
    bytes            BIGINT NOT NULL,     -- billed bytes the finding is about
    monthly_cost_usd DOUBLE NOT NULL,     -- those bytes at the region's price (archive: archive)
    estimated        BOOLEAN NOT NULL,    -- bytes from summed image sizes, not unique blobs
    image_count      BIGINT,
    repository_count BIGINT,
    repositories     VARCHAR[] NOT NULL,  -- account/region/name of every repository involved
    facts            VARCHAR NOT NULL     -- JSON object: the figures behind the detail
)
