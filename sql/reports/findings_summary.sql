-- Findings of one snapshot per kind: how many, bytes and $/month.
SELECT kind, count(*) AS findings, sum(bytes) AS bytes, sum(monthly_cost_usd) AS monthly_cost_usd,
    bool_or(estimated) AS estimated
FROM findings
WHERE snapshot_id = $snapshot_id
GROUP BY kind
ORDER BY monthly_cost_usd DESC, kind
