-- Repository costs summed per account or per region ($by).
SELECT CASE WHEN $by = 'account' THEN account_id ELSE region END AS key,
    sum(net_cost) AS cost, sum(gross_cost) AS gross_cost, sum(storage_cost) AS storage_cost,
    sum(archive_storage_cost) AS archive_storage_cost,
    sum(data_transfer_cost) AS data_transfer_cost, sum(other_usage_cost) AS other_usage_cost,
    sum(credits) AS credits, sum(discounts) AS discounts, sum(tax) AS tax,
    sum(other_adjustments) AS other_adjustments, sum(share) AS share,
    sum(avg_gb_stored) AS avg_gb_stored, count(*) AS repository_count,
    bool_or(estimated) AS estimated
FROM repository_costs
WHERE billing_period = $period
GROUP BY key
ORDER BY cost DESC, key
