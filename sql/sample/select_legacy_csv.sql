-- The daily legacy CUR month (from select_period_daily) for the CSV report (the writer renames to `lineItem/...`).
SELECT
    * EXCLUDE (billing_period, repo_id, category, cur2_tags, focus_tags, payer_account_name,
               usage_account_name),
    coalesce(tag_team_lower, '') AS csv_tag_team_lower,
    coalesce(tag_team_capital, '') AS csv_tag_team_capital,
    coalesce(tag_owner_team, '') AS resource_tags_user_owner_team,
    coalesce(tag_env, '') AS resource_tags_user_env,
    coalesce(tag_cost_center, '') AS resource_tags_user_cost_center
FROM period_daily
ORDER BY line_item_usage_start_date, identity_line_item_id
