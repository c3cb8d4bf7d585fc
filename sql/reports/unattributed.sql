-- Spend the marts give no repository for (unattributed_costs, the `costs` unattributed line),
-- by charge class and usage category; summed as DECIMAL (sql/marts/attr_lines.sql).
SELECT charge_class, usage_category,
    CAST(sum(CAST(cost AS DECIMAL(38, 12))) AS DOUBLE) AS cost, sum(line_count) AS lines
FROM unattributed_costs
WHERE billing_period = $period
GROUP BY ALL
ORDER BY abs(cost) DESC, charge_class, usage_category
