-- staged_lifecycle_policies: an Arrow table registered by pipelines/inventory/store.py
INSERT INTO ecr_lifecycle_policies
SELECT $snapshot_id, $taken_at, account_id, region, repository_name, policy_text
FROM staged_lifecycle_policies
