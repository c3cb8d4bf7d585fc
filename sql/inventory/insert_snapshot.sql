INSERT INTO ecr_snapshots (
    snapshot_id, taken_at, source, manifests_read, repository_count, image_count, error_count
)
VALUES (
    $snapshot_id, $taken_at, $source, $manifests_read, $repository_count, $image_count,
    $error_count
)
