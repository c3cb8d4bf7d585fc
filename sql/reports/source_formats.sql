SELECT source_format, count(*) AS lines, count(DISTINCT source_file) AS files
FROM cur_ecr_lines
WHERE billing_period = $period
GROUP BY source_format
ORDER BY source_format
