-- staged_images: an Arrow table registered by pipelines/inventory/store.py
INSERT INTO ecr_images
SELECT
    $snapshot_id, $taken_at, account_id, region, repository_name, image_digest, image_tags,
    size_bytes, pushed_at, last_pulled_at, manifest_media_type, artifact_media_type,
    subject_digest, image_status, archived_at, activated_at, child_digests
FROM staged_images
