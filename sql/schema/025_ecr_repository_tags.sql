CREATE TABLE IF NOT EXISTS ecr_repository_tags (
    snapshot_id     VARCHAR NOT NULL,
    taken_at        TIMESTAMP NOT NULL,
    account_id      VARCHAR NOT NULL,
    region          VARCHAR NOT NULL,
    repository_name VARCHAR NOT NULL,
    tag_key         VARCHAR NOT NULL,
    tag_value       VARCHAR NOT NULL
)
