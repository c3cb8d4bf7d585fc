-- Images that workloads use, collected with the inventory (same accounts, regions and role) and
-- stored with its snapshot. One row per (workload, image reference). Plans and applies never
-- expire or archive an image listed here unless the user says --allow-in-use.
CREATE TABLE IF NOT EXISTS ecr_images_in_use (
    snapshot_id     VARCHAR NOT NULL,
    taken_at        TIMESTAMP NOT NULL,
    source          VARCHAR NOT NULL,   -- ecs | lambda | k8s | inspector
    used_by         VARCHAR NOT NULL,   -- ecs:<cluster>/<service> | lambda:<function>:<version> | k8s:<context>/<namespace>/<pod> | inspector
    observed_at     TIMESTAMP NOT NULL, -- UTC: when the source was read (inspector: lastInUseAt)
    reference       VARCHAR NOT NULL,   -- the image reference as the workload wrote it
    account_id      VARCHAR,            -- the registry the reference names; NULL: not an ECR image
    region          VARCHAR,
    repository_name VARCHAR,
    image_tag       VARCHAR,            -- the tag as written, if any
    image_digest    VARCHAR,            -- the digest it resolves to; NULL: it does not resolve
    resolution      VARCHAR NOT NULL    -- reported (digest given by the source or the reference) | tag (resolved through the snapshot) | missing (the image no longer exists) | not_ecr
)
