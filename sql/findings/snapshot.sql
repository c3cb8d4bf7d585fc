-- The snapshot judged: $snapshot_id, or the latest (greatest taken_at) when NULL.
SELECT snapshot_id, taken_at::TIMESTAMPTZ AS taken_at, manifests_read
FROM ecr_snapshots
WHERE snapshot_id = COALESCE(
    $snapshot_id,
    (SELECT snapshot_id FROM ecr_snapshots ORDER BY taken_at DESC, snapshot_id DESC LIMIT 1)
)
