-- Done actions acted on in the prior or the report period, with the same repository's
-- neighbouring actions: they bound the windows so one action's effect is not read as another's.
WITH done AS (
    SELECT action_id, action, acted_at, account_id, region, repository_name,
        predicted_monthly_savings_usd,
        lag(acted_at) OVER repo AS previous_acted_at,
        lead(acted_at) OVER repo AS next_acted_at
    FROM cost_actions
    WINDOW repo AS (
        PARTITION BY account_id, region, repository_name ORDER BY acted_at, action_id
    )
)
SELECT * FROM done
WHERE acted_at >= $from AND acted_at < $to
ORDER BY acted_at, action_id
