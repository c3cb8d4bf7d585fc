-- Average GB stored per repository over the bill's last 3 billing periods up to $period (the
-- snapshot's month). A period's GB-Mo is scaled by the hours its lines cover, so a month still
-- in progress compares fairly with full ones. Storage and archive storage both count.
WITH periods AS (
    SELECT billing_period
    FROM cur_ecr_lines
    WHERE billing_period <= $period
    GROUP BY billing_period
    ORDER BY billing_period DESC
    LIMIT 3
),
spans AS (
    SELECT
        l.billing_period,
        epoch(max(COALESCE(l.usage_end, l.usage_start)) - min(l.usage_start)) / 3600.0
            AS covered_hours,
        epoch(
            (strptime(l.billing_period, '%Y-%m') + INTERVAL 1 MONTH)
            - strptime(l.billing_period, '%Y-%m')
        ) / 3600.0 AS month_hours
    FROM cur_ecr_lines AS l
    JOIN periods USING (billing_period)
    GROUP BY l.billing_period
),
usage AS (
    SELECT
        l.billing_period, l.usage_account_id AS account_id, l.region, l.repository_name,
        sum(l.usage_amount) AS gb_months
    FROM cur_ecr_lines AS l
    JOIN periods USING (billing_period)
    WHERE l.usage_category IN ('storage', 'archive_storage')
      AND l.repository_name IS NOT NULL
      AND COALESCE(l.line_item_type, 'Usage')
          IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
    GROUP BY ALL
),
repos AS (
    SELECT DISTINCT account_id, region, repository_name FROM usage
),
grid AS (
    SELECT r.account_id, r.region, r.repository_name, s.billing_period,
        s.covered_hours, s.month_hours
    FROM repos AS r
    CROSS JOIN spans AS s
)
SELECT
    g.account_id, g.region, g.repository_name,
    list(g.billing_period ORDER BY g.billing_period) AS periods,
    list(
        COALESCE(u.gb_months, 0)
        * CASE WHEN g.covered_hours > 0 AND g.covered_hours < g.month_hours
            THEN g.month_hours / g.covered_hours ELSE 1 END
        ORDER BY g.billing_period
    ) AS avg_gb
FROM grid AS g
LEFT JOIN usage AS u
    ON u.account_id = g.account_id AND u.region = g.region
   AND u.repository_name = g.repository_name AND u.billing_period = g.billing_period
GROUP BY g.account_id, g.region, g.repository_name
ORDER BY g.account_id, g.region, g.repository_name
