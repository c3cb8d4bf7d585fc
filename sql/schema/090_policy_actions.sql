-- The action log: every write ecrcost made to AWS (and the sample's recorded history).
CREATE TABLE IF NOT EXISTS policy_actions (
    action_id        VARCHAR PRIMARY KEY,
    action           VARCHAR NOT NULL,   -- policy_applied | policy_restored | repository_deleted | image_pinned | image_unpinned
    status           VARCHAR NOT NULL,   -- planned | backed_up | done | failed
    acted_at         TIMESTAMP NOT NULL, -- UTC
    actor            VARCHAR,
    account_id       VARCHAR,
    region           VARCHAR,
    repository_name  VARCHAR NOT NULL,
    backup_id        VARCHAR,
    old_policy       VARCHAR,            -- NULL: the repository had no policy
    new_policy       VARCHAR,            -- NULL: no policy afterwards (restore / delete)
    predicted_monthly_savings_usd DOUBLE,
    predicted_freed_bytes BIGINT,
    detail           VARCHAR             -- error text or a note
)
