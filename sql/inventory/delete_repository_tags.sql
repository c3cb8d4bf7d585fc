-- Reloading the same snapshot replaces it instead of doubling it.
DELETE FROM ecr_repository_tags WHERE snapshot_id = $snapshot_id
