-- ECR spend per loaded billing period (view loaded_periods: a loaded month without ECR lines
-- is a row of $0), from the marts' own input, cur_ecr_line_groups, with the marts' definitions:
-- gross usage is charge class 'usage', storage is its 'storage' category, sums are DECIMAL
-- (sql/marts/attr_lines.sql), and the repositories are the marts' (repository_costs; NULL
-- while a period's marts are not built). So every figure equals `ecrcost costs`. The days the
-- bill covers are reports/period_days.sql's (they read every line, so only where needed).
WITH wanted AS (
    SELECT billing_period FROM loaded_periods WHERE list_contains($periods, billing_period)
),
groups AS (
    SELECT billing_period, charge_class, usage_category,
        CAST(cost AS DECIMAL(38, 12)) AS cost, CAST(usage_amount AS DECIMAL(38, 12)) AS amount
    FROM cur_ecr_line_groups
    WHERE list_contains($periods, billing_period)
),
money AS (
    SELECT billing_period,
        coalesce(sum(cost) FILTER (WHERE charge_class = 'usage'), 0) AS usage_cost,
        coalesce(sum(cost) FILTER (WHERE charge_class <> 'usage'), 0) AS adjustments,
        coalesce(sum(cost), 0) AS total_cost,
        coalesce(sum(cost) FILTER (WHERE charge_class = 'usage' AND usage_category = 'storage'), 0)
            AS storage_cost,
        coalesce(sum(amount) FILTER (
            WHERE charge_class = 'usage' AND usage_category = 'storage'), 0) AS storage_gb_months
    FROM groups
    GROUP BY billing_period
)
SELECT
    w.billing_period AS period,
    CAST(coalesce(m.usage_cost, 0) AS DOUBLE) AS usage_cost,
    CAST(coalesce(m.adjustments, 0) AS DOUBLE) AS adjustments,
    CAST(coalesce(m.total_cost, 0) AS DOUBLE) AS total_cost,
    CAST(coalesce(m.storage_cost, 0) AS DOUBLE) AS storage_cost,
    CAST(coalesce(m.storage_gb_months, 0) AS DOUBLE) AS storage_gb_months,
    CAST(m.storage_cost AS DOUBLE) / nullif(CAST(m.storage_gb_months AS DOUBLE), 0)
        AS cost_per_gb_month,
    CASE WHEN EXISTS (SELECT 1 FROM mart_builds AS b WHERE b.billing_period = w.billing_period)
        THEN (SELECT count(*) FROM repository_costs AS r
            WHERE r.billing_period = w.billing_period)
    END AS repositories
FROM wanted AS w
LEFT JOIN money AS m USING (billing_period)
ORDER BY period
