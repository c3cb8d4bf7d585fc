-- Images of one snapshot. No ORDER BY: unordered results stream in bounded memory; the loader
-- (lifecycle/model.load_images) orders images per repository itself. `repository_key` is
-- account, region and name joined by newlines (none of them holds one): the loader's grouping
-- key, with image_digest the key image_blobs.sql gives each blob. Times are naive UTC: the
-- loader makes them aware a column at a time.
SELECT
    concat_ws(chr(10), account_id, region, repository_name) AS repository_key,
    image_digest,
    image_tags,
    size_bytes,
    pushed_at,
    last_pulled_at,
    image_status,
    archived_at,
    activated_at,
    child_digests,
    subject_digest
FROM ecr_images
WHERE snapshot_id = $snapshot_id;
