-- Hourly ECR storage (standard and archive) from the constant runs of stored bytes:
-- usage per hour = bytes / 2^30 / hours in the month (GB-Mo), so a month's sum is the average GB.
INSERT INTO lines
WITH runs AS (
    SELECT s.repo_id, s.std_bytes, s.arc_bytes, p.billing_period, p.period_start, p.period_end,
           p.hours, p.first_hour,
           unnest(generate_series(greatest(s.h0, p.first_hour),
                                  least(s.h1, p.first_hour + p.hours) - 1)) AS h
    FROM segments s
    JOIN periods p ON s.h0 < p.first_hour + p.hours AND s.h1 > p.first_hour
),
kinds AS (
    SELECT runs.*, k.kind,
           CASE k.kind WHEN 'storage' THEN std_bytes ELSE arc_bytes END AS nbytes
    FROM runs, (VALUES ('storage'), ('archive_storage')) k(kind)
),
priced AS (
    SELECT k.*, r.*,
           $start + to_hours(k.h::BIGINT) AS t0,
           k.nbytes / 1073741824.0 / k.hours AS amount,
           CASE k.kind WHEN 'storage' THEN r.storage_rate ELSE r.archive_rate END AS rate
    FROM kinds k JOIN repos r USING (repo_id)
    WHERE k.nbytes > 0
)
SELECT
    md5(concat_ws(':', $seed, kind, repo_id, h)),
    strftime(t0, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(t0 + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ'),
    '', 'AWS', 'AWS', 'Anniversary', $payer, period_start, period_end,
    account_id, 'Usage', t0, t0 + INTERVAL 1 HOUR,
    'AmazonECR',
    CASE kind WHEN 'storage' THEN usage_prefix || 'TimedStorage-ByteHrs'
              ELSE coalesce(nullif(usage_prefix, ''), 'USE1-') || 'TimedStorage-Archive-ByteHrs' END,
    CASE kind WHEN 'storage' THEN 'StorageUsage' ELSE 'ArchiveStorageUsage' END,
    '', arn, amount, 0.0, 0.0, 'USD',
    printf('%.10f', rate), amount * rate, printf('%.10f', rate), amount * rate,
    printf('%.10f', rate * (1 - $edp)), amount * rate * (1 - $edp),
    CASE kind WHEN 'storage' THEN printf('$%.2f per GB-month of data storage', rate)
              ELSE printf('$%.2f per GB-month of archive storage', rate) END,
    '', 'Amazon Web Services, Inc.',
    'Amazon EC2 Container Registry (ECR)', 'Storage', '', region_name, 'AWS Region',
    region, region, 'AmazonECR', 'Amazon EC2 Container Registry (ECR)',
    upper(substr(md5(concat_ws(':', 'sku', region, kind)), 1, 16)),
    CASE kind WHEN 'storage' THEN usage_prefix || 'TimedStorage-ByteHrs'
              ELSE coalesce(nullif(usage_prefix, ''), 'USE1-') || 'TimedStorage-Archive-ByteHrs' END,
    CASE kind WHEN 'storage' THEN 'StorageUsage' ELSE 'ArchiveStorageUsage' END,
    '', '', 'USD', amount * rate, printf('%.10f', rate), 'OnDemand', 'GB-Mo',
    billing_period, repo_id, kind
FROM priced
