-- A period's ECR rows and dollars as loaded (unblended cost is copied as read from the files).
-- An exact DECIMAL sum: the same total to the last digit however DuckDB splits the work.
SELECT count(*) AS ecr_rows,
    coalesce(exact_sum(unblended_cost), 0) AS ecr_cost
FROM cur_ecr_lines
WHERE billing_period = $period
