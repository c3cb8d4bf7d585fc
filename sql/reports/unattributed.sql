-- Spend the marts give no repository for (unattributed_costs, the `costs` unattributed line),
-- by charge class and usage category, summed exactly (macro exact_sum).
SELECT charge_class, usage_category, exact_sum(cost) AS cost, sum(line_count) AS lines
FROM unattributed_costs
WHERE billing_period = $period
GROUP BY ALL
ORDER BY abs(exact_sum(cost)) DESC, charge_class, usage_category
