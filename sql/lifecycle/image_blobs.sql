-- Layer and config blobs per image of one snapshot (present only when manifests were read).
-- Unordered on purpose, like images.sql: the result streams instead of being sorted in memory.
SELECT account_id, region, repository_name, image_digest, blob_digest, size_bytes
FROM ecr_image_blobs
WHERE snapshot_id = $snapshot_id;
