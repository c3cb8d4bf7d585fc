-- Images of one snapshot. No ORDER BY: unordered results stream in bounded memory (sorting a
-- million rows held a gigabyte); the loader orders images per repository itself.
-- Times are naive UTC: tagging them in Python is cheaper than converting TIMESTAMPTZ per value.
SELECT
    account_id,
    region,
    repository_name,
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
