-- Truth: the month's ECR totals by line-item type, and everything else (exact DECIMAL sums).
SELECT
    billing_period,
    sum(CASE WHEN category IN ('storage', 'archive_storage', 'data_transfer', 'replication')
             THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE AS usage_cost,
    sum(CASE WHEN category = 'credit' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS credit,
    sum(CASE WHEN category = 'tax' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS tax,
    sum(CASE WHEN category = 'discount' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS discount,
    sum(CASE WHEN category <> 'non_ecr' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS total_ecr_cost,
    sum(CASE WHEN category = 'non_ecr' THEN line_item_unblended_cost::DECIMAL(38, 12) ELSE 0 END)::DOUBLE
        AS non_ecr_cost
FROM lines
GROUP BY billing_period
ORDER BY billing_period
