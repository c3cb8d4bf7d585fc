SELECT median(net_cost) AS median_cost, count(*) AS repositories, exact_sum(net_cost) AS total_cost
FROM repository_costs
WHERE billing_period = $period
