-- Reloading the same snapshot replaces how its in-use sources were read.
DELETE FROM ecr_in_use_sources WHERE snapshot_id = $snapshot_id
