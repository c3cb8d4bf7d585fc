-- Every usage day the bill covers up to the end of the report period, and the bill's last day.
SELECT DISTINCT CAST(usage_start AS DATE) AS day,
    (SELECT max(CAST(usage_start AS DATE)) FROM cur_ecr_lines) AS last_day
FROM cur_ecr_lines
WHERE usage_start < $period_end
ORDER BY day
