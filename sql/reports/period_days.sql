-- The days of each billing period the bill's ECR lines cover (days with any line), for the
-- periods of the forecast's trend, the report's own period last (attribution/forecast.py): the
-- forecast's per-day cost and the data-quality line's partial month. Apart from
-- period_totals.sql, whose 12 trend months would make it read every usage_start of a year.
SELECT billing_period AS period, count(DISTINCT CAST(usage_start AS DATE)) AS days
FROM cur_ecr_lines
WHERE list_contains($periods, billing_period)
GROUP BY billing_period
