SELECT count(*) AS lines, count(resource_id) AS with_resource_id,
    coalesce(sum(unblended_cost), 0) AS total_cost
FROM cur_ecr_lines
WHERE billing_period = $period
