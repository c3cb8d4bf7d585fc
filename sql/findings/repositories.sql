-- Repositories of one snapshot with their policy state and activity times.
-- has_policy_row false: reading the policy failed, so "no policy" is unknown, not true.
SELECT
    r.account_id, r.region, r.repository_name, r.complete,
    r.created_at::TIMESTAMPTZ AS created_at,
    r.has_policy_row,
    r.policy_text,
    list_contains(r.tag_keys, $exemption_tag) AS exempt,
    count(i.image_digest) AS image_count,
    max(i.pushed_at)::TIMESTAMPTZ AS last_pushed_at,
    max(i.last_pulled_at)::TIMESTAMPTZ AS last_pulled_at,
    max(i.activated_at)::TIMESTAMPTZ AS last_activated_at
FROM repository_policy_tags AS r
LEFT JOIN ecr_images AS i
    ON i.snapshot_id = r.snapshot_id AND i.account_id = r.account_id
   AND i.region = r.region AND i.repository_name = r.repository_name
WHERE r.snapshot_id = $snapshot_id
GROUP BY ALL
ORDER BY r.account_id, r.region, r.repository_name
