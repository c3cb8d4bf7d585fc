-- The latest inventory snapshot (greatest taken_at); simulations and plans read only this one.
SELECT snapshot_id, taken_at::TIMESTAMPTZ AS taken_at, manifests_read
FROM ecr_snapshots
ORDER BY taken_at DESC, snapshot_id DESC
LIMIT 1;
