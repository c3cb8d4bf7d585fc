-- Each repository's value of one canonical tag key as the bill carries it, folded exactly as
-- chargeback folds it (tag_key_folding, written with the marts): in a period, two raw keys
-- folded into the key with different values give the first raw key's value (as
-- sql/marts/attr_line_tags.sql); across $periods the newest period's value wins.
WITH entries AS (
    SELECT g.billing_period, g.source_format, g.account_id, g.region, g.repository_name,
        u.e.key AS raw_key, u.e.value AS tag_value
    FROM cur_ecr_line_groups AS g, unnest(map_entries(g.tags)) AS u(e)
    WHERE list_contains($periods, g.billing_period) AND g.repository_name IS NOT NULL
),
per_period AS (
    SELECT e.billing_period, e.account_id, e.region, e.repository_name,
        arg_min(e.tag_value, e.raw_key) AS tag_value
    FROM entries AS e
    JOIN tag_key_folding AS f
        ON f.billing_period = e.billing_period AND f.source = e.source_format
        AND f.raw_key = e.raw_key
    WHERE f.canonical_key = $tag_key AND e.tag_value IS NOT NULL AND e.tag_value <> ''
    GROUP BY ALL
)
SELECT account_id, region, repository_name, arg_max(tag_value, billing_period) AS tag_value
FROM per_period
GROUP BY ALL
ORDER BY account_id, region, repository_name
