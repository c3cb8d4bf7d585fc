-- Truth: each repository's billed cost per month by usage category. Sums are exact (DECIMAL),
-- converted to DOUBLE once at the end.
WITH costs AS (
    SELECT
        repo_id, billing_period, category,
        line_item_unblended_cost::DECIMAL(38, 12) AS cost,
        line_item_usage_amount::DECIMAL(38, 15) AS usage_amount
    FROM lines
)
SELECT
    c.billing_period,
    r.account_id,
    r.region,
    r.name AS repository_name,
    coalesce(sum(c.cost) FILTER (c.category = 'storage'), 0)::DOUBLE AS storage_cost,
    coalesce(sum(c.cost) FILTER (c.category = 'archive_storage'), 0)::DOUBLE
        AS archive_storage_cost,
    -- cross-region replication (`*-AWS-Out-Bytes`) is data transfer, as ingest classifies it
    coalesce(sum(c.cost) FILTER (c.category IN ('data_transfer', 'replication')), 0)::DOUBLE
        AS data_transfer_cost,
    coalesce(sum(c.cost) FILTER (c.category NOT IN (
        'storage', 'archive_storage', 'data_transfer', 'replication')), 0)::DOUBLE AS other_cost,
    sum(c.cost)::DOUBLE AS total_cost,
    coalesce(sum(c.usage_amount) FILTER (c.category = 'storage'), 0)::DOUBLE AS avg_gb_stored,
    r.exists_at_end
FROM costs AS c
JOIN repos AS r USING (repo_id)
GROUP BY c.billing_period, r.account_id, r.region, r.name, r.exists_at_end
ORDER BY c.billing_period, r.account_id, r.region, r.name
