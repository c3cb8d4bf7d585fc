-- Truth: each repository's billed cost per month by usage category (exact DECIMAL sums).
SELECT
    l.billing_period,
    r.account_id,
    r.region,
    r.name AS repository_name,
    sum(CASE WHEN category = 'storage' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS storage_cost,
    sum(CASE WHEN category = 'archive_storage' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS archive_storage_cost,
    sum(CASE WHEN category = 'data_transfer' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS data_transfer_cost,
    sum(CASE WHEN category = 'replication' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS other_cost,
    sum(line_item_unblended_cost::DECIMAL(38, 12))::DOUBLE AS total_cost,
    sum(CASE WHEN category = 'storage' THEN line_item_usage_amount::DECIMAL(38, 15) ELSE 0 END)::DOUBLE
        AS avg_gb_stored,
    r.exists_at_end
FROM lines l
JOIN repos r USING (repo_id)
GROUP BY l.billing_period, r.account_id, r.region, r.name, r.exists_at_end
ORDER BY l.billing_period, r.account_id, r.region, r.name
