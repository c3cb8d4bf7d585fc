INSERT INTO repository_costs
WITH per_repo AS (
    SELECT account_id, region, repository_name,
        coalesce(sum(cost) FILTER (WHERE charge_class = 'usage' AND usage_category = 'storage'), 0)
            AS storage_cost,
        coalesce(sum(cost) FILTER (
            WHERE charge_class = 'usage' AND usage_category = 'archive_storage'), 0)
            AS archive_storage_cost,
        coalesce(sum(cost) FILTER (
            WHERE charge_class = 'usage' AND usage_category = 'data_transfer'), 0)
            AS data_transfer_cost,
        coalesce(sum(cost) FILTER (WHERE charge_class = 'usage'
            AND usage_category NOT IN ('storage', 'archive_storage', 'data_transfer')), 0)
            AS other_usage_cost,
        unnest(spend_split(cost, charge_class)),  -- gross, adjustments, net
        coalesce(sum(usage_amount) FILTER (
            WHERE charge_class = 'usage' AND usage_category = 'storage'), 0) AS avg_gb_stored,
        coalesce(sum(usage_amount) FILTER (
            WHERE charge_class = 'usage' AND usage_category = 'archive_storage'), 0)
            AS avg_gb_archived,
        bool_or(estimated) AS estimated
    FROM attr_alloc
    WHERE repository_name IS NOT NULL
    GROUP BY account_id, region, repository_name
),
totals AS (
    SELECT sum(cost) FILTER (WHERE charge_class = 'usage') AS gross FROM attr_alloc
),
-- A repository is known deleted only where the snapshot covered its account and region.
scanned AS (
    SELECT DISTINCT account_id, region FROM attr_inventory
)
SELECT $period, p.account_id, p.region, p.repository_name,
    p.storage_cost, p.archive_storage_cost, p.data_transfer_cost, p.other_usage_cost,
    p.gross_cost, p.credits, p.discounts, p.tax, p.other_adjustments, p.net_cost,
    p.avg_gb_stored, p.avg_gb_archived,
    p.gross_cost / nullif(t.gross, 0),
    CASE WHEN i.repository_name IS NOT NULL THEN true WHEN s.account_id IS NOT NULL THEN false END,
    $snapshot_id,
    i.storage_bytes + i.archive_bytes,
    i.expected_basis,
    i.expected_monthly_cost,
    p.storage_cost + p.archive_storage_cost - i.expected_monthly_cost,
    p.estimated
FROM per_repo AS p
CROSS JOIN totals AS t
LEFT JOIN attr_inventory AS i
    ON i.account_id = p.account_id AND i.region = p.region
    AND i.repository_name = p.repository_name
LEFT JOIN scanned AS s ON s.account_id = p.account_id AND s.region = p.region
