-- ECR spend per billing period: gross usage, adjustments, net total and storage cost per GB.
-- Grouped by line kind first: a handful of groups, so the filters below stay cheap.
WITH kinds AS (
    SELECT billing_period, usage_category, line_item_type,
        sum(unblended_cost) AS cost, sum(usage_amount) AS amount
    FROM cur_ecr_lines
    WHERE list_contains($periods, billing_period)
    GROUP BY ALL
),
repos AS (
    SELECT billing_period,
        count(DISTINCT (usage_account_id, region, repository_name))
            FILTER (WHERE repository_name IS NOT NULL) AS repositories,
        count(DISTINCT CAST(usage_start AS DATE)) AS days
    FROM cur_ecr_lines
    WHERE list_contains($periods, billing_period)
    GROUP BY billing_period
),
usage_kinds AS (
    SELECT *,
        line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage') AS is_usage,
        usage_category = 'storage' AND line_item_type = 'Usage' AS is_storage
    FROM kinds
)
SELECT
    k.billing_period AS period,
    coalesce(sum(cost) FILTER (WHERE is_usage), 0) AS usage_cost,
    coalesce(sum(cost) FILTER (WHERE NOT is_usage), 0) AS adjustments,
    sum(cost) AS total_cost,
    coalesce(sum(cost) FILTER (WHERE is_storage), 0) AS storage_cost,
    coalesce(sum(amount) FILTER (WHERE is_storage), 0) AS storage_gb_months,
    sum(cost) FILTER (WHERE is_storage) / nullif(sum(amount) FILTER (WHERE is_storage), 0)
        AS cost_per_gb_month,
    any_value(r.repositories) AS repositories,
    any_value(r.days) AS days
FROM usage_kinds AS k
JOIN repos AS r USING (billing_period)
GROUP BY k.billing_period
ORDER BY k.billing_period
