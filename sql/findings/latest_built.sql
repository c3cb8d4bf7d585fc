-- The latest snapshot and whether its findings are stored (no row: no snapshot at all).
SELECT s.snapshot_id, EXISTS (SELECT 1 FROM findings AS f WHERE f.snapshot_id = s.snapshot_id)
FROM latest_snapshot AS s
