-- One row per inventory snapshot; every inventory row below carries its snapshot_id.
CREATE TABLE IF NOT EXISTS ecr_snapshots (
    snapshot_id      VARCHAR PRIMARY KEY,
    taken_at         TIMESTAMP NOT NULL,  -- UTC: when the image lists were recorded
    source           VARCHAR NOT NULL,    -- aws | sample | the snapshot file loaded
    manifests_read   BOOLEAN NOT NULL,    -- blobs known: billed bytes are deduplicated, not estimated
    repository_count INTEGER NOT NULL,
    image_count      INTEGER NOT NULL,
    error_count      INTEGER NOT NULL
)
