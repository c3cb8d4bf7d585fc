CREATE TABLE IF NOT EXISTS ecr_repositories (
    snapshot_id          VARCHAR NOT NULL,
    taken_at             TIMESTAMP NOT NULL,
    account_id           VARCHAR NOT NULL,
    region               VARCHAR NOT NULL,
    repository_name      VARCHAR NOT NULL,
    repository_arn       VARCHAR NOT NULL,
    repository_uri       VARCHAR,
    created_at           TIMESTAMP,
    image_tag_mutability VARCHAR,
    complete             BOOLEAN NOT NULL   -- false: a call for this repository failed
)
