-- The period's judged actions (computed by ecrcost.savings.realized_savings).
SELECT action_id, action, acted_at, account_id, region, repository_name, effective_day,
    window_days, before_daily_cost, after_daily_cost, baseline_change, daily_saving,
    predicted_monthly_savings_usd, realized_monthly_savings_usd, realized_ratio, verdict, reason
FROM realized_savings
WHERE billing_period = $period
ORDER BY acted_at, action_id
