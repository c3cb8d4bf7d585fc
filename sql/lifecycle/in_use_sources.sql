-- Which in-use sources a snapshot read, per scope: status 'missing' makes every image of its
-- scope (account and region; NULL both: every repository) possibly in use.
SELECT DISTINCT source, account_id, region, scope, status, detail
FROM ecr_in_use_sources
WHERE snapshot_id = $snapshot_id
ORDER BY source, scope
