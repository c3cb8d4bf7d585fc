-- Per repository of one snapshot: its lifecycle policy and today's image count and sizes
-- (images only: an index and a referrer are not images of their own).
SELECT r.account_id, r.region, r.repository_name, r.policy_text, r.policy_known,
    count(i.image_digest) AS images,
    avg(i.size_bytes) AS avg_image_bytes,
    max(i.size_bytes) AS max_image_bytes
FROM repository_policies AS r
LEFT JOIN ecr_images AS i
    ON i.snapshot_id = r.snapshot_id AND i.account_id = r.account_id
    AND i.region = r.region AND i.repository_name = r.repository_name
    AND cardinality(i.child_digests) = 0 AND i.subject_digest IS NULL
WHERE r.snapshot_id = $snapshot_id
GROUP BY ALL
ORDER BY r.account_id, r.region, r.repository_name
