-- Per period: the ECR total in the warehouse against the total the loader saw in the source files.
SELECT
    l.billing_period,
    coalesce(sum(c.unblended_cost), 0) AS warehouse_cost,
    any_value(l.source_ecr_cost) AS source_cost
FROM billing_loads AS l
LEFT JOIN cur_ecr_lines AS c USING (billing_period)
WHERE l.billing_period IN (SELECT unnest($periods::VARCHAR[]))
GROUP BY l.billing_period
ORDER BY l.billing_period
