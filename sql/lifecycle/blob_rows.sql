-- Layer and config blobs of one snapshot's images (rows only when manifests were read), keyed as
-- image_columns.sql keys images. `blob_id` numbers the snapshot's distinct (digest, size) pairs
-- from 0 (DuckDB compares the strings themselves): equal ids are the same blob, exactly.
-- Unordered: the loader orders.
WITH blobs AS (
    SELECT blob_digest, size_bytes, (row_number() OVER () - 1)::INTEGER AS blob_id
    FROM (
        SELECT DISTINCT blob_digest, size_bytes
        FROM ecr_image_blobs
        WHERE snapshot_id = $snapshot_id
    )
)
SELECT
    hash(b.account_id, b.region, b.repository_name, b.image_digest, $salt) AS image_key,
    blobs.blob_id,
    b.size_bytes
FROM ecr_image_blobs AS b
JOIN blobs USING (blob_digest, size_bytes)
WHERE b.snapshot_id = $snapshot_id;
