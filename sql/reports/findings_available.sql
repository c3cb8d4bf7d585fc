-- What the findings of one snapshot still offer to save, in $/month: the kinds that name bytes
-- to remove ($kinds), counted once per repository (its largest: a stale repository's bytes
-- include its untagged images), so overlapping kinds are not added twice.
SELECT coalesce(sum(cost), 0) AS monthly_cost_usd, count(*) AS repositories
FROM (
    SELECT account_id, region, repository_name, max(monthly_cost_usd) AS cost
    FROM findings
    WHERE snapshot_id = $snapshot_id AND list_contains($kinds, kind)
    GROUP BY account_id, region, repository_name
)
