-- A period's ECR rows and dollars read straight from its current source files (the
-- `billing_scan` macro, without the warehouse): what the reconciliation check compares against.
-- An exact DECIMAL sum: the same total to the last digit however DuckDB splits the work (written
-- out: this runs on a scratch connection, without the warehouse's exact_sum macro).
SELECT count(*) AS ecr_rows,
    coalesce(sum(CAST(s.unblended_cost AS DECIMAL(38, 12))), 0)::DOUBLE AS ecr_cost
FROM billing_scan($files, $names, $folder_period, $products, $service_names, $tag_keys, $source_format) AS s
WHERE s.billing_period = $period
