-- Truth: the month's ECR totals by line-item type, and everything else. Sums are exact
-- (DECIMAL), converted to DOUBLE once at the end.
WITH costs AS (
    SELECT billing_period, category, line_item_unblended_cost::DECIMAL(38, 12) AS cost
    FROM lines
)
SELECT
    billing_period,
    coalesce(sum(cost) FILTER (
        category IN ('storage', 'archive_storage', 'data_transfer', 'replication')
    ), 0)::DOUBLE AS usage_cost,
    coalesce(sum(cost) FILTER (category = 'credit'), 0)::DOUBLE AS credit,
    coalesce(sum(cost) FILTER (category = 'tax'), 0)::DOUBLE AS tax,
    coalesce(sum(cost) FILTER (category = 'discount'), 0)::DOUBLE AS discount,
    coalesce(sum(cost) FILTER (category <> 'non_ecr'), 0)::DOUBLE AS total_ecr_cost,
    coalesce(sum(cost) FILTER (category = 'non_ecr'), 0)::DOUBLE AS non_ecr_cost
FROM costs
GROUP BY billing_period
ORDER BY billing_period
