-- Canonical ECR lines of one period, read from the files in one pass by the `billing_scan`
-- table macro (pipelines/billing/readers.py builds it from the files' columns; $files and $names
-- come from readers.file_params; $folder_period is NULL for loose files, whose period comes
-- from the data). Region: the bill's product region, else the ARN's, else the usage-type prefix
-- (a usage type without a prefix = us-east-1); a line with none of them (tax, credits) has no
-- region, whether its file writes '' (Parquet) or NULL (CSV, FOCUS). Every ECR usage type that
-- is not storage, archive storage or transfer stays "other" and is listed by name in the load's
-- notes (billing/usage_rules).
INSERT INTO cur_ecr_lines
WITH prefixes(prefix, region) AS (
    VALUES
        ('USE1', 'us-east-1'), ('USE2', 'us-east-2'), ('USW1', 'us-west-1'),
        ('USW2', 'us-west-2'), ('UGW1', 'us-gov-west-1'), ('UGE1', 'us-gov-east-1'),
        ('CAN1', 'ca-central-1'), ('CAN2', 'ca-west-1'), ('MXC1', 'mx-central-1'),
        ('SAE1', 'sa-east-1'), ('EU', 'eu-west-1'), ('EUW1', 'eu-west-1'),
        ('EUW2', 'eu-west-2'), ('EUW3', 'eu-west-3'), ('EUC1', 'eu-central-1'),
        ('EUC2', 'eu-central-2'), ('EUN1', 'eu-north-1'), ('EUS1', 'eu-south-1'),
        ('EUS2', 'eu-south-2'), ('APN1', 'ap-northeast-1'), ('APN2', 'ap-northeast-2'),
        ('APN3', 'ap-northeast-3'), ('APS1', 'ap-southeast-1'), ('APS2', 'ap-southeast-2'),
        ('APS3', 'ap-south-1'), ('APS4', 'ap-southeast-3'), ('APS5', 'ap-south-2'),
        ('APS6', 'ap-southeast-4'), ('APS7', 'ap-southeast-5'), ('APS9', 'ap-southeast-7'),
        ('APE1', 'ap-east-1'), ('MES1', 'me-south-1'), ('MEC1', 'me-central-1'),
        ('AFS1', 'af-south-1'), ('ILC1', 'il-central-1'), ('CNN1', 'cn-north-1'),
        ('CNW1', 'cn-northwest-1')
),
lines AS (
    SELECT
        s.*,
        nullif(trim(s.resource_id), '') AS arn,
        split_part(s.usage_type, '-', 1) AS usage_prefix,
        coalesce(
            lower(trim(coalesce(nullif(s.unit, ''), nullif(s.pricing_unit, ''))))
                IN ('gb-mo', 'gb-month', 'gb-months', 'gb month', 'gb months', 'gibibyte month'),
            true
        ) AS storage_unit
    FROM billing_scan($files, $names, $folder_period, $products, $service_names, $tag_keys, $source_format) AS s
    -- Folder layouts: every row, so that a misfiled one is seen (billing/misfiled_line).
    WHERE s.billing_period = $period OR $folder_period IS NOT NULL
)
SELECT
    l.billing_period,
    l.usage_start,
    l.usage_end,
    nullif(l.payer_account_id, ''),
    nullif(l.usage_account_id, ''),
    coalesce(
        nullif(l.region, ''),
        CASE
            WHEN split_part(l.arn, ':', 3) IN ('ecr', 'ecr-public')
                THEN nullif(split_part(l.arn, ':', 4), '')
        END,
        p.region,
        CASE
            WHEN l.usage_prefix <> '' AND NOT regexp_matches(l.usage_prefix, '^[A-Z]{2,4}[0-9]*$')
                THEN 'us-east-1'
        END
    ),
    l.product_code,
    l.arn,
    CASE
        WHEN strpos(l.arn, ':repository/') > 0
            THEN nullif(substr(l.arn, strpos(l.arn, ':repository/') + length(':repository/')), '')
    END,
    -- Usage types by name (docs/cur_ecr_lines.md, "Usage categories"); storage only in storage
    -- units, so a GB-month figure sums storage lines alone. FOCUS without x_UsageType/SkuMeter:
    -- its own columns (ConsumedUnit/PricingUnit, ChargeDescription) on usage lines.
    CASE
        WHEN l.usage_type LIKE '%TimedStorage-Archive-ByteHrs'
            THEN CASE WHEN l.storage_unit THEN 'archive_storage' ELSE 'other' END
        WHEN l.usage_type LIKE '%TimedStorage-ByteHrs'
            THEN CASE WHEN l.storage_unit THEN 'storage' ELSE 'other' END
        WHEN regexp_matches(l.usage_type, '(?i)restore|retriev')
            THEN 'archive_retrieval'
        WHEN regexp_matches(l.usage_type, '(?i)early-?delet')
            THEN 'early_deletion'
        WHEN l.usage_type LIKE '%DataTransfer-Out-Bytes' OR l.usage_type LIKE '%-AWS-Out-Bytes'
            OR l.usage_type LIKE '%-AWS-In-Bytes' OR l.usage_type LIKE '%DataTransfer%'
            THEN 'data_transfer'
        WHEN nullif(l.usage_type, '') IS NULL AND l.line_item_type = 'Usage' AND l.storage_unit
            AND (l.unit IS NOT NULL OR l.pricing_unit IS NOT NULL)
            THEN CASE WHEN regexp_matches(coalesce(l.description, ''), '(?i)archiv')
                      THEN 'archive_storage' ELSE 'storage' END
        WHEN nullif(l.usage_type, '') IS NULL AND l.line_item_type = 'Usage'
            AND regexp_matches(coalesce(l.description, ''), '(?i)transfer')
            THEN 'data_transfer'
        ELSE 'other'
    END,
    nullif(l.usage_type, ''),
    nullif(l.operation, ''),
    nullif(l.line_item_type, ''),
    l.usage_amount,
    nullif(l.unit, ''),
    coalesce(l.unblended_cost, 0),
    l.net_cost,
    l.tags,
    l.source_format,
    l.source_file
FROM lines AS l
LEFT JOIN prefixes AS p ON p.prefix = l.usage_prefix
