-- A period's ECR rows and dollars as loaded (unblended cost is copied as read from the files).
-- An exact DECIMAL sum: the same total to the last digit however DuckDB splits the work.
SELECT count(*) AS ecr_rows,
    coalesce(sum(CAST(unblended_cost AS DECIMAL(38, 12))), 0)::DOUBLE AS ecr_cost
FROM cur_ecr_lines
WHERE billing_period = $period
