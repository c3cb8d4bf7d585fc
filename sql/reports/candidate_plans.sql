-- The candidate policy's plan of one snapshot, repositories it saves most on first.
SELECT account_id, region, repository_name, skipped_reason, expired, transitioned, freed_bytes,
    monthly_savings_usd, upper_bound, dangers,
    CASE WHEN has_current_policy THEN 'yes' ELSE 'none' END AS current_policy,
    policy_sha256, planned_at
FROM candidate_policy_plans
WHERE snapshot_id = $snapshot_id
ORDER BY monthly_savings_usd DESC, account_id, region, repository_name
