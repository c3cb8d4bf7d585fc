-- One row per (run, action, repository): a resumed run moves the same row on
-- (backed_up -> done | failed) instead of adding a second one.
INSERT OR REPLACE INTO policy_actions (
    action_id, action, status, acted_at, actor, account_id, region, repository_name,
    backup_id, old_policy, new_policy, predicted_monthly_savings_usd, predicted_freed_bytes, detail
) VALUES (
    $action_id, $action, $status, $acted_at, $actor, $account_id, $region, $repository_name,
    $backup_id, $old_policy, $new_policy, $predicted_monthly_savings_usd,
    $predicted_freed_bytes, $detail
)
