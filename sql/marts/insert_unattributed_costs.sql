INSERT INTO unattributed_costs
SELECT $period, account_id, region, charge_class, usage_category, sum(cost), sum(line_count)
FROM attr_alloc
WHERE repository_name IS NULL
GROUP BY account_id, region, charge_class, usage_category
