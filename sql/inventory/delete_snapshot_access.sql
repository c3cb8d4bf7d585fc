-- Reloading the same snapshot replaces it instead of doubling it.
DELETE FROM ecr_snapshot_access WHERE snapshot_id = $snapshot_id
