INSERT INTO tag_coverage
WITH per_key AS (
    SELECT tag_key,
        sum(cost) AS total_cost,
        coalesce(sum(cost) FILTER (WHERE tag_value IS NOT NULL), 0) AS tagged_cost,
        coalesce(sum(cost) FILTER (WHERE tag_value IS NULL AND repository_name IS NOT NULL), 0)
            AS untagged_cost,
        coalesce(sum(cost) FILTER (WHERE tag_value IS NULL AND repository_name IS NULL), 0)
            AS unattributed_cost,
        coalesce(sum(cost) FILTER (WHERE charge_class = 'usage'), 0) AS gross_cost,
        coalesce(sum(cost) FILTER (WHERE charge_class = 'usage' AND tag_value IS NOT NULL), 0)
            AS tagged_gross_cost,
        count(DISTINCT [account_id, region, repository_name]) FILTER (
            WHERE tag_value IS NOT NULL AND repository_name IS NOT NULL
            AND (NOT estimated OR tag_source = 'inventory')) AS tagged_repositories,
        count(DISTINCT [account_id, region, repository_name])
            FILTER (WHERE repository_name IS NOT NULL) AS repositories
    FROM attr_tag_rows
    GROUP BY tag_key
)
SELECT $period, tag_key, total_cost, tagged_cost, untagged_cost, unattributed_cost,
    gross_cost, tagged_gross_cost, tagged_gross_cost / nullif(gross_cost, 0),
    tagged_repositories, repositories, $tags_source
FROM per_key
