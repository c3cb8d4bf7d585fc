-- Spend the bill gives no repository for, by kind of line.
SELECT usage_category, line_item_type, sum(unblended_cost) AS cost, count(*) AS lines
FROM cur_ecr_lines
WHERE billing_period = $period AND repository_name IS NULL
GROUP BY ALL
ORDER BY abs(cost) DESC, usage_category, line_item_type
