-- The costliest findings of one snapshot.
SELECT kind, account_id, region, repository_name, subject, detail, bytes, monthly_cost_usd
FROM findings
WHERE snapshot_id = $snapshot_id
ORDER BY monthly_cost_usd DESC, bytes DESC, kind, rank
LIMIT $top
