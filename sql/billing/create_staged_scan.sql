-- `billing_scan(...)` over the ECR lines an engine extracted (Spark, Athena: Parquet in the
-- canonical columns of pipelines/billing/extract.py), so sql/billing/insert_period_lines.sql
-- and every check of the load read them as they read a delivery's files. The casts make any
-- engine's Parquet types (INT96 or TIMESTAMP_MICROS adjusted to UTC, a MAP of another key type)
-- the warehouse's; the load runs with TimeZone UTC.
CREATE OR REPLACE TEMP MACRO billing_scan(
    p_files, p_names, p_period, p_products, p_service_names, p_tag_keys, p_source_format
) AS TABLE
SELECT
    CAST(billing_period AS VARCHAR) AS billing_period,
    CAST(usage_start AS TIMESTAMP) AS usage_start,
    CAST(usage_end AS TIMESTAMP) AS usage_end,
    CAST(payer_account_id AS VARCHAR) AS payer_account_id,
    CAST(usage_account_id AS VARCHAR) AS usage_account_id,
    CAST(region AS VARCHAR) AS region,
    CAST(product_code AS VARCHAR) AS product_code,
    CAST(resource_id AS VARCHAR) AS resource_id,
    CAST(usage_type AS VARCHAR) AS usage_type,
    CAST(operation AS VARCHAR) AS operation,
    CAST(line_item_type AS VARCHAR) AS line_item_type,
    CAST(usage_amount AS DOUBLE) AS usage_amount,
    CAST(unit AS VARCHAR) AS unit,
    CAST(unblended_cost AS DOUBLE) AS unblended_cost,
    CAST(net_cost AS DOUBLE) AS net_cost,
    CAST(pricing_unit AS VARCHAR) AS pricing_unit,
    CAST(description AS VARCHAR) AS description,
    -- the MAP without empty values, as the delivery's scan gives it (readers._tags_expr)
    coalesce(
        map_from_entries(list_filter(
            map_entries(CAST(tags AS MAP(VARCHAR, VARCHAR))),
            lambda e: e.value IS NOT NULL AND e.value <> ''
        )),
        CAST(MAP {} AS MAP(VARCHAR, VARCHAR))
    ) AS tags,
    CAST(source_file AS VARCHAR) AS source_file,
    CAST(source_format AS VARCHAR) AS source_format
FROM read_parquet(p_files, union_by_name = true)
WHERE list_contains(p_products, product_code)
