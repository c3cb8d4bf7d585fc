-- The playbook's top repositories by billed net cost (the attribution mart).
SELECT row_number() OVER (ORDER BY net_cost DESC, account_id, region, repository_name) AS rank,
    account_id, region, repository_name, net_cost, gross_cost, storage_cost,
    archive_storage_cost, avg_gb_stored, share
FROM repository_costs
WHERE billing_period = $period
ORDER BY rank
LIMIT $top
