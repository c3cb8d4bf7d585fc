-- Issue 11.3: the first line of $period whose cost or quantity is NaN or infinite (a CSV's
-- `NaN`, `Infinity`, `1e400`): which canonical column, and where the line sits.
SELECT
    source_file,
    CASE
        WHEN NOT isfinite(unblended_cost) THEN 'unblended_cost'
        WHEN NOT isfinite(net_cost) THEN 'net_cost'
        ELSE 'usage_amount'
    END AS field,
    usage_start,
    usage_type
FROM cur_ecr_lines
WHERE billing_period = $period
    AND NOT (
        isfinite(unblended_cost)
        AND isfinite(coalesce(net_cost, 0))
        AND isfinite(coalesce(usage_amount, 0))
    )
ORDER BY source_file, usage_start, usage_type
LIMIT 1
