-- The images of one snapshot that workloads use, one row per image with every user of it
-- (sorted, so plans print the same list every run). References that did not resolve to a
-- digest of this registry (not ECR, or the image no longer exists) name no image to keep.
SELECT
    account_id,
    region,
    repository_name,
    image_digest,
    list(DISTINCT used_by ORDER BY used_by) AS used_by
FROM ecr_images_in_use
WHERE snapshot_id = $snapshot_id
  AND image_digest IS NOT NULL
  AND repository_name IS NOT NULL
GROUP BY account_id, region, repository_name, image_digest
