-- The newest inventory snapshot (ties on taken_at: the greatest id). Every "latest" reads this.
CREATE OR REPLACE VIEW latest_snapshot AS
SELECT snapshot_id, taken_at, source, manifests_read, repository_count, image_count, error_count
FROM ecr_snapshots
ORDER BY taken_at DESC, snapshot_id DESC
LIMIT 1
