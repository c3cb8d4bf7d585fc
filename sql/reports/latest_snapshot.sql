SELECT snapshot_id, taken_at, source, repository_count, image_count, error_count
FROM ecr_snapshots
ORDER BY taken_at DESC, snapshot_id DESC
LIMIT 1
