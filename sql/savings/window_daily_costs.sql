-- Per action and usage day from its history's start to its after window's end, the storage +
-- archive storage cost (gross usage), summed exactly as DECIMAL(38,12) so a re-run gives the
-- same figures whatever the threads: the action's repository (role `target`), every untouched
-- repository summed (`baseline`), and the largest $placebo_limit untouched repositories each on
-- its own (`placebo`). Untouched: no action acting inside the span (an action takes effect up
-- to two days after it was made), billed on the span's first and last day. Windows:
-- savings/stage_windows.
WITH w AS (SELECT * FROM savings_windows),
daily AS (
    SELECT usage_account_id AS account_id, region, repository_name,
        CAST(usage_start AS DATE) AS day,
        exact_decimal_sum(unblended_cost) AS cost
    FROM cur_ecr_lines
    WHERE usage_category IN ('storage', 'archive_storage')
        AND line_item_type = 'Usage'
        AND repository_name IS NOT NULL
        AND usage_start >= $from AND usage_start < $to
    GROUP BY ALL
),
per_day AS (
    SELECT w.action_id, d.account_id, d.region, d.repository_name, d.day, d.cost,
        (d.repository_name = w.repository_name
            AND d.account_id IS NOT DISTINCT FROM coalesce(w.account_id, d.account_id)
            AND d.region IS NOT DISTINCT FROM coalesce(w.region, d.region)) AS is_target
    FROM w
    JOIN daily AS d ON d.day BETWEEN w.history_start AND w.after_end
),
repos AS (
    SELECT p.action_id, p.account_id, p.region, p.repository_name,
        bool_or(p.is_target) AS is_target,
        bool_or(p.day = w.history_start AND p.cost > 0)
            AND bool_or(p.day = w.after_end AND p.cost > 0) AS billed_throughout,
        coalesce(sum(p.cost) FILTER (WHERE p.day BETWEEN w.before_start AND w.before_end), 0)
            AS before_cost,
        EXISTS (
            SELECT 1 FROM cost_actions AS a
            WHERE a.repository_name = p.repository_name
                AND coalesce(a.account_id, p.account_id) IS NOT DISTINCT FROM p.account_id
                AND coalesce(a.region, p.region) IS NOT DISTINCT FROM p.region
                AND CAST(a.acted_at AS DATE) BETWEEN w.history_start - 2 AND w.after_end
        ) AS touched
    FROM per_day AS p
    JOIN w USING (action_id)
    GROUP BY p.action_id, p.account_id, p.region, p.repository_name, w.history_start,
        w.before_start, w.before_end, w.after_end
),
untouched AS (
    SELECT *,
        row_number() OVER (
            PARTITION BY action_id
            ORDER BY before_cost DESC, account_id, region, repository_name
        ) AS size_rank,
        count(*) OVER (PARTITION BY action_id) AS repositories
    FROM repos
    WHERE NOT is_target AND NOT touched AND billed_throughout
)
SELECT action_id, 'target' AS role, NULL AS account_id, NULL AS region,
    NULL AS repository_name, NULL::BIGINT AS repositories, day, sum(cost) AS cost
FROM per_day
WHERE is_target
GROUP BY action_id, day
UNION ALL
SELECT p.action_id, 'baseline', NULL, NULL, NULL, any_value(u.repositories), p.day, sum(p.cost)
FROM per_day AS p
JOIN untouched AS u USING (action_id, account_id, region, repository_name)
GROUP BY p.action_id, p.day
UNION ALL
SELECT p.action_id, 'placebo', p.account_id, p.region, p.repository_name, NULL, p.day, p.cost
FROM per_day AS p
JOIN untouched AS u USING (action_id, account_id, region, repository_name)
WHERE u.size_rank <= $placebo_limit
ORDER BY 1, 2, 3, 4, 5, 7
