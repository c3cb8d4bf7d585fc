-- The spend the marts give no repository (unattributed_costs) in the period and the one
-- before, exactly as DECIMAL(38,12).
SELECT
    coalesce(sum(CAST(cost AS DECIMAL(38, 12))) FILTER (WHERE billing_period = $period), 0)
        AS unattributed,
    coalesce(sum(CAST(cost AS DECIMAL(38, 12))) FILTER (WHERE billing_period = $prior), 0)
        AS prior_unattributed
FROM unattributed_costs
WHERE billing_period IN ($period, $prior)
