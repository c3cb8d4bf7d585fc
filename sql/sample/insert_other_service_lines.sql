-- Daily line items of other services (EC2, EBS, S3, CloudWatch...): readers must filter them out.
-- Amounts vary by a deterministic hash of (seed, resource, day), never by wall-clock randomness.
INSERT INTO lines
WITH days AS (
    SELECT o.*, p.billing_period, p.period_start, p.period_end,
           unnest(generate_series(p.first_hour // 24, (p.first_hour + p.hours) // 24 - 1)) AS day
    FROM other_resources o, periods p
),
priced AS (
    SELECT *, $start + to_days(day::INTEGER) AS t0,
           base_amount * (0.7 + (hash($seed, resource_id, day) % 600) / 1000.0) AS amount
    FROM days
)
SELECT
    md5(concat_ws(':', $seed, 'other', account_id, region, product_code, resource_id, usage_type, day)),
    strftime(t0, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(t0 + INTERVAL 1 DAY, '%Y-%m-%dT%H:%M:%SZ'),
    '', 'AWS', 'AWS', 'Anniversary', $payer, period_start, period_end,
    account_id, 'Usage', t0, t0 + INTERVAL 1 DAY,
    product_code, usage_type, operation, availability_zone, resource_id, amount,
    0.0, 0.0, 'USD',
    printf('%.10f', rate), amount * rate, printf('%.10f', rate), amount * rate,
    printf('%.10f', rate * (1 - $edp)), amount * rate * (1 - $edp),
    description, '', 'Amazon Web Services, Inc.',
    product_name, product_family, '', region_name, 'AWS Region', region, region,
    product_code, product_name, upper(substr(md5(concat_ws(':', 'sku', region, usage_type)), 1, 16)),
    usage_type, operation, '', '', 'USD', amount * rate, printf('%.10f', rate), 'OnDemand', unit,
    billing_period, NULL, 'non_ecr'
FROM priced
