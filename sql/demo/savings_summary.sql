-- The period's judged actions and the candidate policy's predicted saving, for the demo summary.
WITH judged AS (
    SELECT count(*) AS actions,
        count(*) FILTER (WHERE verdict = 'realized') AS realized,
        sum(predicted_monthly_savings_usd) AS predicted,
        sum(realized_monthly_savings_usd) AS realized_usd
    FROM realized_savings
    WHERE billing_period = $period
),
candidate AS (
    SELECT sum(monthly_savings_usd) AS candidate_usd,
        count(*) FILTER (WHERE monthly_savings_usd > 0) AS candidate_repositories  -- as the report counts them
    FROM candidate_policy_plans
    WHERE snapshot_id = (SELECT snapshot_id FROM latest_snapshot) AND skipped_reason IS NULL
)
SELECT actions, realized, predicted, realized_usd, candidate_usd, candidate_repositories
FROM judged CROSS JOIN candidate
