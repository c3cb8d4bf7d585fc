-- One month of the bill at DAILY granularity (the legacy CSV report's time unit): a repository's hourly
-- storage lines of one day become one line; usage and costs are exact DECIMAL sums of the hours.
CREATE OR REPLACE TEMP TABLE period_daily AS
WITH keyed AS (
    SELECT *,
           CASE WHEN category IN ('storage', 'archive_storage')
                THEN concat_ws(':', category, repo_id,
                               strftime(line_item_usage_start_date, '%Y-%m-%d'))
                ELSE identity_line_item_id END AS day_key
    FROM period_bill
)
SELECT
    md5(concat_ws(':', 'daily', min(identity_line_item_id))) AS identity_line_item_id,
    strftime(min(date_trunc('day', line_item_usage_start_date)), '%Y-%m-%dT%H:%M:%SZ') || '/'
        || strftime(max(CASE WHEN category IN ('storage', 'archive_storage')
                             THEN date_trunc('day', line_item_usage_start_date) + INTERVAL 1 DAY
                             ELSE line_item_usage_end_date END), '%Y-%m-%dT%H:%M:%SZ')
        AS identity_time_interval,
    min(CASE WHEN category IN ('storage', 'archive_storage')
             THEN date_trunc('day', line_item_usage_start_date)
             ELSE line_item_usage_start_date END) AS line_item_usage_start_date,
    max(CASE WHEN category IN ('storage', 'archive_storage')
             THEN date_trunc('day', line_item_usage_start_date) + INTERVAL 1 DAY
             ELSE line_item_usage_end_date END) AS line_item_usage_end_date,
    sum(line_item_usage_amount::DECIMAL(38, 15))::DOUBLE AS line_item_usage_amount,
    sum(line_item_unblended_cost::DECIMAL(38, 15))::DOUBLE AS line_item_unblended_cost,
    sum(line_item_blended_cost::DECIMAL(38, 15))::DOUBLE AS line_item_blended_cost,
    sum(line_item_net_unblended_cost::DECIMAL(38, 15))::DOUBLE AS line_item_net_unblended_cost,
    sum(pricing_public_on_demand_cost::DECIMAL(38, 15))::DOUBLE AS pricing_public_on_demand_cost,
    any_value(COLUMNS(* EXCLUDE (identity_line_item_id, identity_time_interval,
                                 line_item_usage_start_date, line_item_usage_end_date,
                                 line_item_usage_amount, line_item_unblended_cost,
                                 line_item_blended_cost, line_item_net_unblended_cost,
                                 pricing_public_on_demand_cost, day_key)))
FROM keyed
GROUP BY day_key
ORDER BY line_item_usage_start_date, identity_line_item_id
