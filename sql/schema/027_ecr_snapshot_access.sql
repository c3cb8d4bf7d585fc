-- How each account of a snapshot was read: the caller's own credentials (role_name NULL) or an
-- assumed role, and whether an external id went with it (the id itself is never stored).
-- Writes (policy apply/restore, repos delete) reach the account the same way by default.
CREATE TABLE IF NOT EXISTS ecr_snapshot_access (
    snapshot_id      VARCHAR NOT NULL,
    taken_at         TIMESTAMP NOT NULL,
    account_id       VARCHAR NOT NULL,
    role_name        VARCHAR,
    external_id_used BOOLEAN NOT NULL
)
