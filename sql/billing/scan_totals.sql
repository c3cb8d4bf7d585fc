-- A period's ECR rows and dollars read straight from its current source files (the
-- `billing_scan` macro, without the warehouse): what the reconciliation check compares against.
SELECT count(*) AS ecr_rows, coalesce(sum(s.unblended_cost), 0) AS ecr_cost
FROM billing_scan($files, $names, $folder_period, $products, $service_names, $tag_keys, $source_format) AS s
WHERE s.billing_period = $period
