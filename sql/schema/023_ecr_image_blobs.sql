-- Layer and config blobs per image: only when manifests were read (BatchGetImage, opt-in).
CREATE TABLE IF NOT EXISTS ecr_image_blobs (
    snapshot_id     VARCHAR NOT NULL,
    taken_at        TIMESTAMP NOT NULL,
    account_id      VARCHAR NOT NULL,
    region          VARCHAR NOT NULL,
    repository_name VARCHAR NOT NULL,
    image_digest    VARCHAR NOT NULL,
    blob_digest     VARCHAR NOT NULL,
    blob_kind       VARCHAR NOT NULL,  -- layer | config
    size_bytes      BIGINT NOT NULL,
    media_type      VARCHAR
)
