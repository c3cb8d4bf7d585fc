-- The playbook: every repository costing more than the period's median.
SELECT account_id || ':' || region || ':' || repository_name AS key,
    net_cost AS cost, gross_cost, avg_gb_stored, estimated
FROM repository_costs
WHERE billing_period = $period AND net_cost > $median
ORDER BY net_cost DESC, key
