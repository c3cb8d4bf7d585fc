-- The unattributed line per charge class, summed as DECIMAL (sql/marts/attr_lines.sql).
SELECT charge_class, CAST(sum(CAST(cost AS DECIMAL(38, 12))) AS DOUBLE) AS cost
FROM unattributed_costs
WHERE billing_period = $period
GROUP BY charge_class
ORDER BY charge_class
