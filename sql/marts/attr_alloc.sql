-- attr_lines with repositories: as billed, or (a bill without resource ids, $estimate) the
-- storage spend of each account and region split over the inventory's repositories in
-- proportion to their billed bytes, each piece marked estimated.
CREATE OR REPLACE TEMP TABLE attr_alloc AS
WITH weights AS (
    SELECT account_id, region, repository_name, 'storage' AS usage_category,
        storage_bytes AS weight
    FROM attr_inventory
    WHERE storage_bytes > 0
    UNION ALL
    SELECT account_id, region, repository_name, 'archive_storage', archive_bytes
    FROM attr_inventory
    WHERE archive_bytes > 0
),
fractions AS (
    SELECT *,
        weight / sum(weight) OVER (PARTITION BY account_id, region, usage_category) AS fraction
    FROM weights
),
split_keys AS (
    SELECT DISTINCT account_id, region, usage_category FROM fractions
),
marked AS (
    SELECT l.*,
        $estimate AND l.repository_name IS NULL AND l.charge_class = 'usage'
            AND k.account_id IS NOT NULL AS split
    FROM attr_lines AS l
    LEFT JOIN split_keys AS k
        ON k.account_id = l.account_id AND k.region = l.region
        AND k.usage_category = l.usage_category
),
pieces AS (
    SELECT account_id, region, repository_name, usage_category, charge_class, source_format,
        tags, cost, usage_amount, line_count, false AS estimated
    FROM marked
    WHERE NOT split
    UNION ALL
    SELECT m.account_id, m.region, f.repository_name, m.usage_category, m.charge_class,
        m.source_format, m.tags,
        -- Each piece rounded to 1e-12 once, so the pieces' sums stay exact.
        CAST(m.cost * f.fraction AS DECIMAL(38, 12)),
        CAST(m.usage_amount * f.fraction AS DECIMAL(38, 12)),
        m.line_count, true
    FROM marked AS m
    JOIN fractions AS f
        ON f.account_id = m.account_id AND f.region = m.region
        AND f.usage_category = m.usage_category
    WHERE m.split
)
SELECT row_number() OVER () AS row_id, * FROM pieces
