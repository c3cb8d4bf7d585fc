-- Reloading the same snapshot replaces it instead of doubling it.
DELETE FROM ecr_scan_errors WHERE snapshot_id = $snapshot_id
