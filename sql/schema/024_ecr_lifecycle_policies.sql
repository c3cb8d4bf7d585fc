-- One row per repository scanned; policy_text NULL means the repository has no policy.
CREATE TABLE IF NOT EXISTS ecr_lifecycle_policies (
    snapshot_id     VARCHAR NOT NULL,
    taken_at        TIMESTAMP NOT NULL,
    account_id      VARCHAR NOT NULL,
    region          VARCHAR NOT NULL,
    repository_name VARCHAR NOT NULL,
    policy_text     VARCHAR
)
