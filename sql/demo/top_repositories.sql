-- The most expensive repositories of one period, straight from the bill.
SELECT usage_account_id, region, repository_name, sum(unblended_cost) AS cost
FROM cur_ecr_lines
WHERE billing_period = $period AND repository_name IS NOT NULL
GROUP BY ALL
ORDER BY cost DESC, repository_name
LIMIT $limit
