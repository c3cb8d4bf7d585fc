-- Per repository of one snapshot ($snapshot_id, NULL for the latest): push and pull times,
-- whether a lifecycle policy is set (NULL when reading it failed), tags as "key=value;...".
WITH snap AS (
    SELECT COALESCE($snapshot_id, (SELECT snapshot_id FROM latest_snapshot)) AS snapshot_id
),
images AS (
    SELECT
        account_id, region, repository_name,
        min(pushed_at) AS oldest_push, max(pushed_at) AS newest_push,
        max(last_pulled_at) AS last_pull
    FROM ecr_images
    JOIN snap USING (snapshot_id)
    GROUP BY ALL
),
tags AS (
    SELECT
        account_id, region, repository_name,
        string_agg(tag_key || '=' || tag_value, ';' ORDER BY tag_key) AS tags
    FROM ecr_repository_tags
    JOIN snap USING (snapshot_id)
    GROUP BY ALL
),
policies AS (
    SELECT account_id, region, repository_name, policy_text IS NOT NULL AS has_policy
    FROM ecr_lifecycle_policies
    JOIN snap USING (snapshot_id)
)
SELECT
    r.account_id, r.region, r.repository_name, i.oldest_push, i.newest_push, i.last_pull,
    p.has_policy, COALESCE(t.tags, '') AS tags
FROM ecr_repositories AS r
JOIN snap USING (snapshot_id)
LEFT JOIN images AS i USING (account_id, region, repository_name)
LEFT JOIN tags AS t USING (account_id, region, repository_name)
LEFT JOIN policies AS p USING (account_id, region, repository_name)
ORDER BY r.account_id, r.region, r.repository_name
