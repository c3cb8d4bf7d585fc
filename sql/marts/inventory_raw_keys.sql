SELECT DISTINCT tag_key
FROM ecr_repository_tags
WHERE snapshot_id = $snapshot_id
