-- Images of one snapshot as the simulator's columns (lifecycle/model.load_images). No ORDER BY:
-- the loader sorts in Arrow. `image_key` is a 64-bit hash of the image's identity with $salt
-- in the hashed text (hash(a, b, $salt) would not do: DuckDB combines per-argument hashes, so
-- two values colliding under one salt would collide under all); the loader checks no two images
-- share one, else takes the next salt. blob_rows.sql gives each blob row its image's key. `repository_key` joins account, region and name by newlines
-- (none of them holds one); tags are joined the same way (ECR tags hold no newline). Times are
-- microseconds since the epoch (UTC).
SELECT
    hash(concat_ws(chr(10), $salt, account_id, region, repository_name, image_digest)) AS image_key,
    concat_ws(chr(10), account_id, region, repository_name) AS repository_key,
    image_digest,
    coalesce(array_to_string(image_tags, chr(10)), '') AS tag_lines,
    size_bytes,
    epoch_us(pushed_at) AS pushed,
    epoch_us(last_pulled_at) AS pulled,
    image_status,
    epoch_us(archived_at) AS archived,
    epoch_us(activated_at) AS activated,
    CASE WHEN len(child_digests) > 0 THEN child_digests END AS child_digests,
    subject_digest
FROM ecr_images
WHERE snapshot_id = $snapshot_id;
