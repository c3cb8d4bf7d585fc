-- The snapshot a plan or the findings read: $snapshot_id, or the latest when NULL.
SELECT snapshot_id, taken_at::TIMESTAMPTZ AS taken_at, manifests_read
FROM ecr_snapshots
WHERE snapshot_id = COALESCE($snapshot_id, (SELECT snapshot_id FROM latest_snapshot))
