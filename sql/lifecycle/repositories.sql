-- Repositories of one snapshot with their current policy text (NULL: none) and whether they
-- carry the exemption tag (the key, whatever its value).
SELECT
    account_id,
    region,
    repository_name,
    policy_text,
    list_contains(tag_keys, $exemption_tag) AS exempt,
    complete
FROM repository_policy_tags
WHERE snapshot_id = $snapshot_id
ORDER BY account_id, region, repository_name;
