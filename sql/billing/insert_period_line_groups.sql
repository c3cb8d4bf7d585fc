-- The period's cur_ecr_lines collapsed per repository, usage category, charge class and tag set:
-- hourly rows become a few per repository, so the attribution marts read a small table. Run by
-- ingestion right after the period's lines are inserted (same transaction), and by build_marts
-- for a period whose groups are missing or do not match its lines (pipelines/billing/groups.py).
-- Tag sets are grouped by their hash (3x faster than grouping by the MAP itself); two different
-- tag sets of one repository, category and charge class colliding on 64 bits is negligible.
INSERT INTO cur_ecr_line_groups
SELECT
    $period AS billing_period,
    coalesce(usage_account_id, any_value(payer_account_id), '') AS account_id,
    coalesce(region, '') AS region,
    -- repository_name is parsed from resource_id: one value per group.
    CASE WHEN resource_id IS NOT NULL THEN coalesce(any_value(repository_name), resource_id) END
        AS repository_name,
    usage_category,
    -- Gross usage vs adjustments; FOCUS ChargeCategory values land here as they are.
    CASE
        WHEN line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
            THEN 'usage'
        WHEN line_item_type IN ('Credit', 'Refund') THEN 'credit'
        WHEN line_item_type = 'Tax' THEN 'tax'
        WHEN line_item_type ILIKE '%Discount' OR line_item_type = 'SavingsPlanNegation'
            THEN 'discount'
        ELSE 'other_adjustment'
    END AS charge_class,
    source_format,
    coalesce(any_value(tags), MAP {}::MAP(VARCHAR, VARCHAR)) AS tags,
    sum(unblended_cost) AS cost,
    coalesce(sum(usage_amount), 0) AS usage_amount,
    count(*) AS line_count
FROM cur_ecr_lines
WHERE billing_period = $period
GROUP BY
    resource_id, usage_account_id, region, usage_category, line_item_type, source_format,
    hash(tags)
