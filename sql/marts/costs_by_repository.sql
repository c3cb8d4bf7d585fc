SELECT account_id || ':' || region || ':' || repository_name AS key,
    net_cost AS cost, gross_cost, storage_cost, archive_storage_cost, data_transfer_cost,
    other_usage_cost, credits, discounts, tax, other_adjustments, share, avg_gb_stored,
    avg_gb_archived, account_id, region, repository_name, exists_in_inventory, billed_bytes,
    expected_basis, expected_monthly_cost, bill_minus_expected, estimated
FROM repository_costs
WHERE billing_period = $period
ORDER BY net_cost DESC, key
