-- Repositories of one snapshot with their policy state and activity times.
-- has_policy_row false: reading the policy failed, so "no policy" is unknown, not true.
SELECT
    r.account_id, r.region, r.repository_name, r.complete,
    r.created_at::TIMESTAMPTZ AS created_at,
    p.repository_name IS NOT NULL AS has_policy_row,
    p.policy_text,
    EXISTS (
        SELECT 1 FROM ecr_repository_tags AS t
        WHERE t.snapshot_id = r.snapshot_id AND t.account_id = r.account_id
          AND t.region = r.region AND t.repository_name = r.repository_name
          AND t.tag_key = $exemption_tag
    ) AS exempt,
    count(i.image_digest) AS image_count,
    max(i.pushed_at)::TIMESTAMPTZ AS last_pushed_at,
    max(i.last_pulled_at)::TIMESTAMPTZ AS last_pulled_at,
    max(i.activated_at)::TIMESTAMPTZ AS last_activated_at
FROM ecr_repositories AS r
LEFT JOIN ecr_lifecycle_policies AS p
    ON p.snapshot_id = r.snapshot_id AND p.account_id = r.account_id
   AND p.region = r.region AND p.repository_name = r.repository_name
LEFT JOIN ecr_images AS i
    ON i.snapshot_id = r.snapshot_id AND i.account_id = r.account_id
   AND i.region = r.region AND i.repository_name = r.repository_name
WHERE r.snapshot_id = $snapshot_id
GROUP BY ALL
ORDER BY r.account_id, r.region, r.repository_name
