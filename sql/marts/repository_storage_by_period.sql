-- Per repository and period: storage + archive storage gross usage cost, summed exactly
-- (macro exact_sum) so the forecast is the same to the last digit on a re-run.
SELECT usage_account_id AS account_id, region, repository_name, billing_period AS period,
    exact_sum(unblended_cost) AS cost
FROM cur_ecr_lines
WHERE list_contains($periods, billing_period)
    AND usage_category IN ('storage', 'archive_storage')
    AND line_item_type = 'Usage'
    AND repository_name IS NOT NULL
GROUP BY ALL
