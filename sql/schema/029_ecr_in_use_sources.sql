-- Which in-use sources were read, per scope: "not in use" is never a silent guess. A scope whose
-- source could not be read (status 'missing') makes every image in it possibly in use.
CREATE TABLE IF NOT EXISTS ecr_in_use_sources (
    snapshot_id VARCHAR NOT NULL,
    taken_at    TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL,       -- ecs | lambda | k8s | inspector
    account_id  VARCHAR,                -- NULL with region NULL: every repository (a pods file, a kube context)
    region      VARCHAR,
    scope       VARCHAR NOT NULL,       -- what was read: <account>/<region>, the pods file, the kube context
    status      VARCHAR NOT NULL,       -- read | not_enabled (Inspector off: said once, not an error) | missing
    detail      VARCHAR                 -- why missing, or what was not enabled
)
