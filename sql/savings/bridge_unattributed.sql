-- The spend the marts give no repository (unattributed_costs) in the period and the one
-- before, exactly as DECIMAL(38,12).
SELECT
    coalesce(exact_decimal_sum(CASE WHEN billing_period = $period THEN cost END), 0)
        AS unattributed,
    coalesce(exact_decimal_sum(CASE WHEN billing_period = $prior THEN cost END), 0)
        AS prior_unattributed
FROM unattributed_costs
WHERE billing_period IN ($period, $prior)
