-- One canonical tag value per allocated row and key, from the bill or (opt-in) today's
-- repository tags, which win where the repository has the key.
CREATE OR REPLACE TEMP TABLE attr_line_tags AS
WITH entries AS (
    SELECT a.row_id, a.source_format, u.e.key AS raw_key, u.e.value AS tag_value
    FROM attr_alloc AS a, unnest(map_entries(a.tags)) AS u(e)
),
bill AS (
    -- Two raw keys folded into one key with different values: the first raw key in order wins.
    SELECT e.row_id, m.canonical_key AS tag_key, arg_min(e.tag_value, e.raw_key) AS tag_value
    FROM entries AS e
    JOIN attr_key_map AS m ON m.source = e.source_format AND m.raw_key = e.raw_key
    WHERE e.tag_value IS NOT NULL AND e.tag_value <> ''
    GROUP BY ALL
),
inventory AS (
    SELECT a.row_id, m.canonical_key AS tag_key, arg_min(t.tag_value, t.tag_key) AS tag_value
    FROM attr_alloc AS a
    JOIN ecr_repository_tags AS t
        ON t.snapshot_id = $snapshot_id AND t.account_id = a.account_id
        AND t.region = a.region AND t.repository_name = a.repository_name
    JOIN attr_key_map AS m ON m.source = 'inventory' AND m.raw_key = t.tag_key
    WHERE $use_inventory AND t.tag_value <> ''
    GROUP BY ALL
)
SELECT
    coalesce(i.row_id, b.row_id) AS row_id,
    coalesce(i.tag_key, b.tag_key) AS tag_key,
    coalesce(i.tag_value, b.tag_value) AS tag_value,
    CASE WHEN i.row_id IS NULL THEN 'bill' ELSE 'inventory' END AS tag_source
FROM bill AS b
FULL OUTER JOIN inventory AS i ON i.row_id = b.row_id AND i.tag_key = b.tag_key
