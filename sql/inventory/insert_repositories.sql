-- staged_repositories: an Arrow table registered by pipelines/inventory/store.py
INSERT INTO ecr_repositories
SELECT
    $snapshot_id, $taken_at, account_id, region, repository_name, repository_arn,
    repository_uri, created_at, image_tag_mutability, complete
FROM staged_repositories
