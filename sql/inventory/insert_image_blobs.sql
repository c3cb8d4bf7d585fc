-- staged_image_blobs: an Arrow table registered by pipelines/inventory/store.py
INSERT INTO ecr_image_blobs
SELECT
    $snapshot_id, $taken_at, account_id, region, repository_name, image_digest, blob_digest,
    blob_kind, size_bytes, media_type
FROM staged_image_blobs
