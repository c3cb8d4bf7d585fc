SELECT snapshot_id FROM ecr_snapshots ORDER BY taken_at DESC, snapshot_id DESC LIMIT 1
