-- Layer and config blobs per image of one snapshot (present only when manifests were read),
-- keyed like images.sql: repository_key, a newline, image_digest. Unordered on purpose, like
-- images.sql: the result streams instead of being sorted or aggregated in memory (a list per
-- image in SQL held a gigabyte at a million images).
SELECT
    concat_ws(chr(10), account_id, region, repository_name, image_digest) AS image_key,
    blob_digest,
    size_bytes
FROM ecr_image_blobs
WHERE snapshot_id = $snapshot_id;
