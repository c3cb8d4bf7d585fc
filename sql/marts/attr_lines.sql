-- The period's lines as grouped at ingestion (cur_ecr_line_groups, see
-- sql/billing/insert_period_line_groups.sql): a few rows per repository, so every later step
-- reads a small table. Money and amounts become DECIMAL(38,12) here: every later sum is exact
-- integer arithmetic, the same to the last digit whatever order the threads add in (a DOUBLE
-- sum is not: docs/report.md, "Deterministic money"); the mart columns store it as DOUBLE.
CREATE OR REPLACE TEMP TABLE attr_lines AS
SELECT account_id, region, repository_name, usage_category, charge_class, source_format, tags,
    CAST(cost AS DECIMAL(38, 12)) AS cost, CAST(usage_amount AS DECIMAL(38, 12)) AS usage_amount,
    line_count
FROM cur_ecr_line_groups
WHERE billing_period = $period
