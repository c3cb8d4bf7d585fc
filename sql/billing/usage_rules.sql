-- What a period's classification rested on, for the load's notes: the lines classified without
-- a usage type (FOCUS without x_UsageType/SkuMeter, from its own unit and description columns),
-- and every ECR usage type left as "other", by name. One row per (rule, category, usage type).
SELECT
    CASE WHEN usage_type IS NULL THEN 'no usage type' ELSE 'other usage type' END AS rule,
    usage_category,
    usage_type,
    count(*) AS lines,
    sum(unblended_cost) AS cost
FROM cur_ecr_lines
WHERE billing_period = $period
    AND (
        (usage_type IS NULL AND usage_category <> 'other')
        OR (usage_type IS NOT NULL AND usage_category = 'other')
    )
GROUP BY ALL
ORDER BY rule, usage_category, cost DESC, usage_type
