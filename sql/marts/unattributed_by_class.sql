SELECT charge_class, sum(cost) AS cost
FROM unattributed_costs
WHERE billing_period = $period
GROUP BY charge_class
ORDER BY charge_class
