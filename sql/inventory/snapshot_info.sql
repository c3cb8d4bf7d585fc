-- The snapshot a NULL $snapshot_id means, and its counts.
SELECT snapshot_id, taken_at, source, manifests_read, repository_count, image_count, error_count
FROM ecr_snapshots
WHERE snapshot_id = COALESCE(
    $snapshot_id,
    (SELECT snapshot_id FROM ecr_snapshots ORDER BY taken_at DESC, snapshot_id DESC LIMIT 1)
)
