SELECT median(net_cost) AS median_cost, count(*) AS repositories,
    CAST(sum(CAST(net_cost AS DECIMAL(38, 12))) AS DOUBLE) AS total_cost
FROM repository_costs
WHERE billing_period = $period
