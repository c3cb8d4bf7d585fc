-- The playbook: every repository costing more than the period's median.
SELECT account_id, region, repository_name, net_cost, avg_gb_stored, share
FROM repository_costs
WHERE billing_period = $period
    AND net_cost > (SELECT median(net_cost) FROM repository_costs WHERE billing_period = $period)
ORDER BY net_cost DESC, account_id, region, repository_name
