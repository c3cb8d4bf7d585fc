-- One snapshot's candidate plan goes before its new rows arrive (same transaction).
DELETE FROM candidate_policy_plans WHERE snapshot_id = $snapshot_id
