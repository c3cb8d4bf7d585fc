-- staged_repository_tags: an Arrow table registered by pipelines/inventory/store.py
INSERT INTO ecr_repository_tags
SELECT $snapshot_id, $taken_at, account_id, region, repository_name, tag_key, tag_value
FROM staged_repository_tags
