CREATE TABLE IF NOT EXISTS ecr_images (
    snapshot_id         VARCHAR NOT NULL,
    taken_at            TIMESTAMP NOT NULL,
    account_id          VARCHAR NOT NULL,
    region              VARCHAR NOT NULL,
    repository_name     VARCHAR NOT NULL,
    image_digest        VARCHAR NOT NULL,
    image_tags          VARCHAR[] NOT NULL,  -- empty: untagged
    size_bytes          BIGINT,              -- imageSizeInBytes (manifest list: largest child)
    pushed_at           TIMESTAMP NOT NULL,
    last_pulled_at      TIMESTAMP,
    manifest_media_type VARCHAR,
    artifact_media_type VARCHAR,
    subject_digest      VARCHAR,             -- referrer (signature, SBOM) of this image digest
    image_status        VARCHAR NOT NULL,    -- ACTIVE | ARCHIVED | ACTIVATING
    archived_at         TIMESTAMP,
    activated_at        TIMESTAMP,
    child_digests       VARCHAR[] NOT NULL   -- a manifest list's children
)
