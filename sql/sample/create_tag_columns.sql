-- Tag values per repository and month, only for keys already activated as cost-allocation tags.
-- DuckDB identifiers are case-insensitive, so `team` and `Team` get distinct column names here.
CREATE VIEW tag_columns AS
SELECT
    repo_id,
    billing_period,
    coalesce(max(value) FILTER (WHERE raw_key = 'team'), '') AS tag_team_lower,
    coalesce(max(value) FILTER (WHERE raw_key = 'Team'), '') AS tag_team_capital,
    coalesce(max(value) FILTER (WHERE raw_key = 'owner_team'), '') AS tag_owner_team,
    coalesce(max(value) FILTER (WHERE raw_key = 'env'), '') AS tag_env,
    coalesce(max(value) FILTER (WHERE raw_key = 'cost-center'), '') AS tag_cost_center,
    map_from_entries(list({'key': 'user_' || raw_key, 'value': value} ORDER BY raw_key)) AS cur2_tags,
    map_from_entries(list({'key': raw_key, 'value': value} ORDER BY raw_key)) AS focus_tags
FROM repo_tags
GROUP BY repo_id, billing_period
