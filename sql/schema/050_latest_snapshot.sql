-- The snapshot every "latest" means: the newest complete one (nothing missing, at least one
-- repository); when there is none, the newest partial one; an empty one only when it is all
-- there is. A newer partial or empty snapshot (a denied region, a mistyped region) never
-- replaces a complete one silently: `ecrcost.inventory.snapshots.choose_snapshot` says so.
CREATE OR REPLACE VIEW latest_snapshot AS
SELECT snapshot_id, taken_at, source, manifests_read, repository_count, image_count, error_count
FROM ecr_snapshots
ORDER BY
    CASE WHEN error_count = 0 AND repository_count > 0 THEN 0
         WHEN repository_count > 0 THEN 1
         ELSE 2 END,
    taken_at DESC,
    snapshot_id DESC
LIMIT 1
