-- One row per repository of the plan, from the staged columns (sqlfiles.insert_staged).
INSERT INTO candidate_policy_plans BY NAME
SELECT
    $snapshot_id AS snapshot_id,
    $policy_sha256 AS policy_sha256,
    $planned_at::TIMESTAMP AS planned_at,
    account_id,
    region,
    repository_name,
    skipped_reason::VARCHAR AS skipped_reason,
    expired::INTEGER AS expired,
    transitioned::INTEGER AS transitioned,
    freed_bytes::BIGINT AS freed_bytes,
    monthly_savings_usd::DOUBLE AS monthly_savings_usd,
    upper_bound::BOOLEAN AS upper_bound,
    dangers::INTEGER AS dangers,
    has_current_policy::BOOLEAN AS has_current_policy
FROM staged
