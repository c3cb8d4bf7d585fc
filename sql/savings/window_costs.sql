-- Per action: the repository's storage + archive storage cost (gross usage) summed over its
-- before and after windows, and the same sums for the untouched repositories (no action
-- acting inside the span) that billed on both sides. The windows: savings/stage_windows.
WITH w AS (SELECT * FROM savings_windows),
daily AS (
    SELECT usage_account_id AS account_id, region, repository_name,
        CAST(usage_start AS DATE) AS day, sum(unblended_cost) AS cost
    FROM cur_ecr_lines
    WHERE usage_category IN ('storage', 'archive_storage')
        AND line_item_type = 'Usage'
        AND repository_name IS NOT NULL
        AND usage_start >= $from AND usage_start < $to
    GROUP BY ALL
),
per_repo AS (
    SELECT w.action_id, w.before_start, w.after_end, d.account_id, d.region, d.repository_name,
        (d.repository_name = w.repository_name
            AND d.account_id IS NOT DISTINCT FROM coalesce(w.account_id, d.account_id)
            AND d.region IS NOT DISTINCT FROM coalesce(w.region, d.region)) AS is_target,
        coalesce(sum(d.cost) FILTER (WHERE d.day BETWEEN w.before_start AND w.before_end), 0)
            AS before_cost,
        coalesce(sum(d.cost) FILTER (WHERE d.day BETWEEN w.after_start AND w.after_end), 0)
            AS after_cost
    FROM w
    JOIN daily AS d ON d.day BETWEEN w.before_start AND w.after_end
    GROUP BY ALL
),
flagged AS (
    SELECT p.*,
        EXISTS (
            SELECT 1 FROM policy_actions AS a
            WHERE a.status = 'done'
                AND a.repository_name = p.repository_name
                AND coalesce(a.account_id, p.account_id) IS NOT DISTINCT FROM p.account_id
                AND coalesce(a.region, p.region) IS NOT DISTINCT FROM p.region
                -- an action takes effect up to two days after it was made
                AND CAST(a.acted_at AS DATE) BETWEEN p.before_start - 2 AND p.after_end
        ) AS touched
    FROM per_repo AS p
)
SELECT w.action_id,
    coalesce(sum(f.before_cost) FILTER (WHERE f.is_target), 0) AS before_cost,
    coalesce(sum(f.after_cost) FILTER (WHERE f.is_target), 0) AS after_cost,
    coalesce(sum(f.before_cost) FILTER (WHERE NOT f.is_target AND NOT f.touched
        AND f.before_cost > 0 AND f.after_cost > 0), 0) AS baseline_before,
    coalesce(sum(f.after_cost) FILTER (WHERE NOT f.is_target AND NOT f.touched
        AND f.before_cost > 0 AND f.after_cost > 0), 0) AS baseline_after,
    count(*) FILTER (WHERE NOT f.is_target AND NOT f.touched
        AND f.before_cost > 0 AND f.after_cost > 0) AS baseline_repositories
FROM w
LEFT JOIN flagged AS f ON f.action_id = w.action_id
GROUP BY w.action_id
