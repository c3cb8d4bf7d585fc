-- Daily ECR data transfer: out to the internet and cross-region replication (both data_transfer once ingested).
INSERT INTO lines
SELECT
    md5(concat_ws(':', $seed, d.kind, d.repo_id, d.day)),
    strftime(t0, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(t0 + INTERVAL 1 DAY, '%Y-%m-%dT%H:%M:%SZ'),
    '', 'AWS', 'AWS', 'Anniversary', $payer, p.period_start, p.period_end,
    r.account_id, 'Usage', t0, t0 + INTERVAL 1 DAY,
    'AmazonECR', d.usage_type, d.operation, '', r.arn, d.gb, 0.0, 0.0, 'USD',
    printf('%.10f', d.rate), d.gb * d.rate, printf('%.10f', d.rate), d.gb * d.rate,
    printf('%.10f', d.rate * (1 - $edp)), d.gb * d.rate * (1 - $edp),
    d.description, '', 'Amazon Web Services, Inc.',
    'Amazon EC2 Container Registry (ECR)', 'Data Transfer', '', r.region_name, 'AWS Region',
    r.region, r.region, 'AmazonECR', 'Amazon EC2 Container Registry (ECR)',
    upper(substr(md5(concat_ws(':', 'sku', r.region, d.usage_type)), 1, 16)),
    d.usage_type, d.operation, '', '', 'USD', d.gb * d.rate, printf('%.10f', d.rate), 'OnDemand', 'GB',
    p.billing_period, d.repo_id, d.kind
FROM (SELECT *, $start + to_days(day::INTEGER) AS t0 FROM daily) d
JOIN repos r USING (repo_id)
JOIN periods p ON d.t0 >= p.period_start AND d.t0 < p.period_end
