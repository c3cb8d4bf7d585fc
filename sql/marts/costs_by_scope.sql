-- Repository costs summed per account or per region ($by), as DECIMAL: the same to the last
-- digit on every run (sql/marts/attr_lines.sql).
WITH exact AS (
    SELECT CASE WHEN $by = 'account' THEN account_id ELSE region END AS key,
        CAST(net_cost AS DECIMAL(38, 12)) AS net_cost,
        CAST(gross_cost AS DECIMAL(38, 12)) AS gross_cost,
        CAST(storage_cost AS DECIMAL(38, 12)) AS storage_cost,
        CAST(archive_storage_cost AS DECIMAL(38, 12)) AS archive_storage_cost,
        CAST(data_transfer_cost AS DECIMAL(38, 12)) AS data_transfer_cost,
        CAST(other_usage_cost AS DECIMAL(38, 12)) AS other_usage_cost,
        CAST(credits AS DECIMAL(38, 12)) AS credits,
        CAST(discounts AS DECIMAL(38, 12)) AS discounts,
        CAST(tax AS DECIMAL(38, 12)) AS tax,
        CAST(other_adjustments AS DECIMAL(38, 12)) AS other_adjustments,
        CAST(share AS DECIMAL(38, 12)) AS share,
        CAST(avg_gb_stored AS DECIMAL(38, 12)) AS avg_gb_stored,
        estimated
    FROM repository_costs
    WHERE billing_period = $period
)
SELECT key,
    CAST(sum(net_cost) AS DOUBLE) AS cost, CAST(sum(gross_cost) AS DOUBLE) AS gross_cost,
    CAST(sum(storage_cost) AS DOUBLE) AS storage_cost,
    CAST(sum(archive_storage_cost) AS DOUBLE) AS archive_storage_cost,
    CAST(sum(data_transfer_cost) AS DOUBLE) AS data_transfer_cost,
    CAST(sum(other_usage_cost) AS DOUBLE) AS other_usage_cost,
    CAST(sum(credits) AS DOUBLE) AS credits, CAST(sum(discounts) AS DOUBLE) AS discounts,
    CAST(sum(tax) AS DOUBLE) AS tax, CAST(sum(other_adjustments) AS DOUBLE) AS other_adjustments,
    CAST(sum(share) AS DOUBLE) AS share, CAST(sum(avg_gb_stored) AS DOUBLE) AS avg_gb_stored,
    count(*) AS repository_count, bool_or(estimated) AS estimated
FROM exact
GROUP BY key
ORDER BY cost DESC, key
