-- Ranking by size: average GB stored as billed (GB-months), then today's inventory bytes.
SELECT row_number() OVER (ORDER BY avg_gb_stored + avg_gb_archived DESC,
        billed_bytes DESC NULLS LAST, account_id, region, repository_name) AS rank,
    account_id, region, repository_name, avg_gb_stored, avg_gb_archived, billed_bytes, net_cost
FROM repository_costs
WHERE billing_period = $period
ORDER BY rank
LIMIT $top
