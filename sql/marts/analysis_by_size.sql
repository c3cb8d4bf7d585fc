-- Ranking by size: average GB stored as billed (GB-months), then today's inventory bytes.
SELECT account_id || ':' || region || ':' || repository_name AS key,
    avg_gb_stored, avg_gb_archived, billed_bytes, net_cost AS cost, estimated
FROM repository_costs
WHERE billing_period = $period
ORDER BY avg_gb_stored + avg_gb_archived DESC, billed_bytes DESC NULLS LAST, key
LIMIT $top
