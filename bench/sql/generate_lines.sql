-- Used by bench/attribution.py only (not by the marts).
-- Synthetic hourly ECR storage lines: $repos repositories over $months months from $start,
-- one row per repository per $step hours; 80% of repositories carry a team tag.
INSERT INTO cur_ecr_lines
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
months AS (
    SELECT (CAST($start AS DATE) + to_months(m::INTEGER))::TIMESTAMP AS month_start
    FROM range($months) AS t(m)
),
hours AS (
    SELECT month_start, unnest(range(month_start, month_start + INTERVAL 1 MONTH,
        to_hours($step::BIGINT))) AS usage_start,
        date_diff('hour', month_start, month_start + INTERVAL 1 MONTH) / $step AS slots
    FROM months
)
SELECT
    strftime(h.month_start, '%Y-%m'),
    h.usage_start,
    h.usage_start + to_hours($step::BIGINT),
    '999999999999',
    r.account,
    r.region,
    'AmazonECR',
    'arn:aws:ecr:' || r.region || ':' || r.account || ':repository/' || r.name,
    r.name,
    'storage',
    'TimedStorage-ByteHrs',
    'StoreObject',
    'Usage',
    r.gb / h.slots,
    'GB-Mo',
    r.gb / h.slots * 0.10,
    NULL,
    r.tags,
    'cur2',
    'bench'
FROM hours AS h
CROSS JOIN repos AS r
