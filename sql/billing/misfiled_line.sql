-- Issue 11.2: the first line just loaded from a period folder's files ($files) whose own billing
-- period (bill_billing_period_start_date / BillingPeriodStart) is not the folder's ($period).
SELECT source_file, billing_period, count(*) AS lines
FROM cur_ecr_lines
WHERE list_contains($files, source_file) AND billing_period <> $period
GROUP BY ALL
ORDER BY source_file, billing_period
LIMIT 1
