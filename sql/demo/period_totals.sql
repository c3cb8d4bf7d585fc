-- ECR spend per billing period: gross usage, adjustments (credits, discounts, tax) and net.
SELECT
    billing_period,
    sum(unblended_cost) FILTER (WHERE line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')) AS usage_cost,
    sum(unblended_cost) FILTER (WHERE line_item_type NOT IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')) AS adjustments,
    sum(unblended_cost) AS total_cost,
    count(DISTINCT repository_name) AS repositories
FROM cur_ecr_lines
GROUP BY billing_period
ORDER BY billing_period
