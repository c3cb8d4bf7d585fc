-- The newest inventory snapshot, as the report names it.
SELECT snapshot_id, taken_at, source, repository_count, image_count, error_count
FROM latest_snapshot
