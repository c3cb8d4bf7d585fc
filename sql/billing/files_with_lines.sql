-- The files of $files that gave the load of $period at least one ECR line.
SELECT DISTINCT source_file
FROM cur_ecr_lines
WHERE billing_period = $period AND list_contains($files, source_file)
