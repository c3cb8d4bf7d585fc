-- Per period: the ECR rows and dollars the warehouse holds.
SELECT billing_period, count(*) AS ecr_rows, coalesce(sum(unblended_cost), 0) AS ecr_cost
FROM cur_ecr_lines
WHERE billing_period IN (SELECT unnest($periods::VARCHAR[]))
GROUP BY billing_period
