-- The unattributed line per charge class, summed exactly (macro exact_sum).
SELECT charge_class, exact_sum(cost) AS cost
FROM unattributed_costs
WHERE billing_period = $period
GROUP BY charge_class
ORDER BY charge_class
