-- Repository costs summed per account or per region ($by), exactly (macro exact_sum).
SELECT CASE WHEN $by = 'account' THEN account_id ELSE region END AS key,
    exact_sum(net_cost) AS cost, exact_sum(gross_cost) AS gross_cost,
    exact_sum(storage_cost) AS storage_cost,
    exact_sum(archive_storage_cost) AS archive_storage_cost,
    exact_sum(data_transfer_cost) AS data_transfer_cost,
    exact_sum(other_usage_cost) AS other_usage_cost,
    exact_sum(credits) AS credits, exact_sum(discounts) AS discounts, exact_sum(tax) AS tax,
    exact_sum(other_adjustments) AS other_adjustments, exact_sum(share) AS share,
    exact_sum(avg_gb_stored) AS avg_gb_stored, count(*) AS repository_count,
    bool_or(estimated) AS estimated
FROM repository_costs
WHERE billing_period = $period
GROUP BY key
ORDER BY cost DESC, key
