-- Each inventoried repository with its lifecycle policy and its tag keys, per snapshot: what the
-- planner, the findings and the write side read about a repository. has_policy_row false: reading
-- the policy failed (so "no policy" is unknown); policy_text NULL with a row: no policy.
-- The exemption rule reads tag_keys: `list_contains(tag_keys, $exemption_tag)`.
CREATE OR REPLACE VIEW repository_policy_tags AS
SELECT
    r.snapshot_id,
    r.account_id,
    r.region,
    r.repository_name,
    r.repository_arn,
    r.created_at,
    r.complete,
    p.repository_name IS NOT NULL AS has_policy_row,
    p.policy_text,
    coalesce(t.tag_keys, []::VARCHAR[]) AS tag_keys
FROM ecr_repositories AS r
LEFT JOIN ecr_lifecycle_policies AS p
    ON p.snapshot_id = r.snapshot_id AND p.account_id = r.account_id
   AND p.region = r.region AND p.repository_name = r.repository_name
LEFT JOIN (
    SELECT snapshot_id, account_id, region, repository_name, list(tag_key) AS tag_keys
    FROM ecr_repository_tags
    GROUP BY ALL
) AS t
    ON t.snapshot_id = r.snapshot_id AND t.account_id = r.account_id
   AND t.region = r.region AND t.repository_name = r.repository_name
