-- The period's lines as grouped at ingestion (cur_ecr_line_groups, see
-- sql/billing/insert_period_line_groups.sql): a few rows per repository, so every later step
-- reads a small table.
CREATE OR REPLACE TEMP TABLE attr_lines AS
SELECT account_id, region, repository_name, usage_category, charge_class, source_format, tags,
    cost, usage_amount, line_count
FROM cur_ecr_line_groups
WHERE billing_period = $period
