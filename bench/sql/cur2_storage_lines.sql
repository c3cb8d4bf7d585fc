-- Used by bench/pipeline.py only. One month ($month, a date) of CUR 2.0 Data Export lines:
-- bench/attribution.py's organisation ($repos repositories, hourly storage, one line per $step
-- hours; 80% of repositories tagged), in the export's column names.
WITH repos AS (
    SELECT r,
        (100000000000 + r % 20)::VARCHAR AS account,
        ['us-east-1', 'eu-west-1', 'us-west-2'][1 + r % 3] AS region,
        'svc-' || (r % 97) || '/repo-' || r AS name,
        0.5 + (hash(r) % 2000) / 10.0 AS gb,
        CASE WHEN r % 5 = 0 THEN MAP {}::MAP(VARCHAR, VARCHAR)
            ELSE MAP {'user_team': 'team-' || (r % 37), 'user_env': 'prod'} END AS tags
    FROM range($repos) AS t(r)
),
hours AS (
    SELECT CAST($month AS DATE)::TIMESTAMP AS month_start,
        unnest(range(CAST($month AS DATE)::TIMESTAMP,
            CAST($month AS DATE)::TIMESTAMP + INTERVAL 1 MONTH, to_hours($step::BIGINT)))
            AS usage_start,
        date_diff('hour', CAST($month AS DATE)::TIMESTAMP,
            CAST($month AS DATE)::TIMESTAMP + INTERVAL 1 MONTH) / $step AS slots
)
SELECT
    md5(r.r::VARCHAR || h.usage_start::VARCHAR) AS identity_line_item_id,
    'Anniversary' AS bill_bill_type,
    '999999999999' AS bill_payer_account_id,
    h.month_start AS bill_billing_period_start_date,
    h.month_start + INTERVAL 1 MONTH AS bill_billing_period_end_date,
    r.account AS line_item_usage_account_id,
    'Usage' AS line_item_line_item_type,
    h.usage_start AS line_item_usage_start_date,
    h.usage_start + to_hours($step::BIGINT) AS line_item_usage_end_date,
    'AmazonECR' AS line_item_product_code,
    'TimedStorage-ByteHrs' AS line_item_usage_type,
    'StoreObject' AS line_item_operation,
    'arn:aws:ecr:' || r.region || ':' || r.account || ':repository/' || r.name
        AS line_item_resource_id,
    r.gb / h.slots AS line_item_usage_amount,
    'USD' AS line_item_currency_code,
    r.gb / h.slots * 0.10 AS line_item_unblended_cost,
    r.gb / h.slots * 0.10 AS line_item_net_unblended_cost,
    r.region AS product_region_code,
    'GB-Mo' AS pricing_unit,
    r.tags AS resource_tags
FROM hours AS h
CROSS JOIN repos AS r
