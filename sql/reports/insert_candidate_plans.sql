-- One row per repository of the plan; columns arrive as parallel lists.
INSERT INTO candidate_policy_plans BY NAME
SELECT
    $snapshot_id AS snapshot_id,
    $policy_sha256 AS policy_sha256,
    $planned_at::TIMESTAMP AS planned_at,
    unnest($account_ids) AS account_id,
    unnest($regions) AS region,
    unnest($repository_names) AS repository_name,
    unnest($skipped_reasons)::VARCHAR AS skipped_reason,
    unnest($expired)::INTEGER AS expired,
    unnest($transitioned)::INTEGER AS transitioned,
    unnest($freed_bytes)::BIGINT AS freed_bytes,
    unnest($monthly_savings)::DOUBLE AS monthly_savings_usd,
    unnest($upper_bounds)::BOOLEAN AS upper_bound,
    unnest($dangers)::INTEGER AS dangers,
    unnest($has_current_policy)::BOOLEAN AS has_current_policy
