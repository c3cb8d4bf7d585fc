-- Billed size per repository of one snapshot ($snapshot_id, NULL for the latest snapshot); the
-- rule is the view repository_billed_sizes (sql/schema/056_repository_billed_sizes.sql).
SELECT *
FROM repository_billed_sizes
WHERE snapshot_id = COALESCE($snapshot_id, (SELECT snapshot_id FROM latest_snapshot))
ORDER BY account_id, region, repository_name
