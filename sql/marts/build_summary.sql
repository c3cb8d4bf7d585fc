SELECT b.line_count, b.total_cost, b.attributed_cost, b.unattributed_cost,
    (SELECT count(*) FROM repository_costs WHERE billing_period = $period)
FROM mart_builds AS b
WHERE b.billing_period = $period
