-- The inventory snapshot a report reads, as it names it: $snapshot_id, else the one the
-- latest_snapshot view picks (the newest complete snapshot).
SELECT snapshot_id, taken_at, source, repository_count, image_count, error_count
FROM ecr_snapshots
WHERE snapshot_id = COALESCE($snapshot_id, (SELECT snapshot_id FROM latest_snapshot))
