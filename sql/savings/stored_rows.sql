-- A report period's judged actions as realized_savings stored them, in judging order.
SELECT * EXCLUDE (billing_period, computed_at)
FROM realized_savings
WHERE billing_period = $period
ORDER BY acted_at, action_id
