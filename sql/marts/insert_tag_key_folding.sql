INSERT INTO tag_key_folding
WITH bill AS (
    SELECT l.source_format AS source, u.e.key AS raw_key,
        sum(l.line_count) AS line_count, sum(l.cost) AS cost
    FROM attr_lines AS l, unnest(map_entries(l.tags)) AS u(e)
    WHERE u.e.value IS NOT NULL AND u.e.value <> ''
    GROUP BY ALL
),
inventory AS (
    SELECT 'inventory' AS source, tag_key AS raw_key,
        count(DISTINCT [account_id, region, repository_name]) AS line_count, 0.0 AS cost
    FROM ecr_repository_tags
    WHERE $use_inventory AND snapshot_id = $snapshot_id
    GROUP BY ALL
),
used AS (
    SELECT * FROM bill
    UNION ALL
    SELECT * FROM inventory
)
SELECT $period, m.source, m.raw_key, m.canonical_key, m.rule, u.line_count, u.cost
FROM attr_key_map AS m
JOIN used AS u ON u.source = m.source AND u.raw_key = m.raw_key
