DELETE FROM candidate_policy_plans WHERE snapshot_id = $snapshot_id
