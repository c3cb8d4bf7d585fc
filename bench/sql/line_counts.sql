-- Used by bench/attribution.py only: rows and periods in cur_ecr_lines.
SELECT count(*), list(DISTINCT billing_period ORDER BY billing_period) FROM cur_ecr_lines
