-- The distinct blobs of one snapshot's images (rows only when manifests were read), one row per
-- (digest, size) pair: its size, and the keys of the images holding it, keyed as
-- image_columns.sql keys images. The loader numbers the rows: equal numbers are the same blob,
-- exactly (DuckDB groups on the strings themselves). Unordered: the loader orders.
SELECT
    size_bytes,
    list(hash(concat_ws(chr(10), $salt, account_id, region, repository_name, image_digest)))
        AS image_keys
FROM ecr_image_blobs
WHERE snapshot_id = $snapshot_id
GROUP BY blob_digest, size_bytes;
