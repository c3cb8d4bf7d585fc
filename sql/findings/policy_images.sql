-- Images of the repositories that have a lifecycle policy, as the simulator needs them.
SELECT
    i.account_id, i.region, i.repository_name, i.image_digest, i.image_tags,
    i.pushed_at::TIMESTAMPTZ AS pushed_at,
    i.last_pulled_at::TIMESTAMPTZ AS last_pulled_at,
    i.image_status,
    i.archived_at::TIMESTAMPTZ AS archived_at,
    i.activated_at::TIMESTAMPTZ AS activated_at,
    i.child_digests, i.subject_digest
FROM ecr_images AS i
JOIN ecr_lifecycle_policies AS p
    ON p.snapshot_id = i.snapshot_id AND p.account_id = i.account_id
   AND p.region = i.region AND p.repository_name = i.repository_name
WHERE i.snapshot_id = $snapshot_id AND p.policy_text IS NOT NULL
ORDER BY i.account_id, i.region, i.repository_name, i.image_digest
