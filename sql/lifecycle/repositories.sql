-- Repositories of one snapshot with their current policy text (NULL: none) and whether they
-- carry the exemption tag (the key, whatever its value).
SELECT
    r.account_id,
    r.region,
    r.repository_name,
    p.policy_text,
    EXISTS (
        SELECT 1
        FROM ecr_repository_tags AS t
        WHERE t.snapshot_id = r.snapshot_id
          AND t.account_id = r.account_id
          AND t.region = r.region
          AND t.repository_name = r.repository_name
          AND t.tag_key = $exemption_tag
    ) AS exempt,
    r.complete
FROM ecr_repositories AS r
LEFT JOIN ecr_lifecycle_policies AS p
    ON p.snapshot_id = r.snapshot_id
   AND p.account_id = r.account_id
   AND p.region = r.region
   AND p.repository_name = r.repository_name
WHERE r.snapshot_id = $snapshot_id
ORDER BY r.account_id, r.region, r.repository_name;
