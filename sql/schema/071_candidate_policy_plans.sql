-- The playbook base policy planned over one inventory snapshot, per repository: what the
-- report's "candidate policy" figures come from (planning is too slow to redo per render).
CREATE TABLE IF NOT EXISTS candidate_policy_plans (
    snapshot_id          VARCHAR NOT NULL,
    policy_sha256        VARCHAR NOT NULL,   -- of the policy text planned
    planned_at           TIMESTAMP NOT NULL, -- UTC
    account_id           VARCHAR NOT NULL,
    region               VARCHAR NOT NULL,
    repository_name      VARCHAR NOT NULL,
    skipped_reason       VARCHAR,            -- NULL: planned
    expired              INTEGER NOT NULL,
    transitioned         INTEGER NOT NULL,
    freed_bytes          BIGINT NOT NULL,
    monthly_savings_usd  DOUBLE NOT NULL,
    upper_bound          BOOLEAN NOT NULL,   -- some manifests unread: savings at most this
    dangers              INTEGER NOT NULL,
    has_current_policy   BOOLEAN NOT NULL
)
