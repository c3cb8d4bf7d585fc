-- The period's judged actions and the candidate policy's predicted saving, for the demo summary.
SELECT
    (SELECT count(*) FROM realized_savings WHERE billing_period = $period) AS actions,
    (SELECT count(*) FROM realized_savings WHERE billing_period = $period AND verdict = 'realized') AS realized,
    (SELECT sum(predicted_monthly_savings_usd) FROM realized_savings WHERE billing_period = $period) AS predicted,
    (SELECT sum(realized_monthly_savings_usd) FROM realized_savings WHERE billing_period = $period) AS realized_usd,
    (SELECT sum(monthly_savings_usd) FROM candidate_policy_plans
      WHERE snapshot_id = (SELECT snapshot_id FROM ecr_snapshots ORDER BY taken_at DESC LIMIT 1)
        AND skipped_reason IS NULL) AS candidate_usd,
    (SELECT count(*) FILTER (WHERE expired + transitioned > 0) FROM candidate_policy_plans
      WHERE snapshot_id = (SELECT snapshot_id FROM ecr_snapshots ORDER BY taken_at DESC LIMIT 1)
        AND skipped_reason IS NULL) AS candidate_repositories
