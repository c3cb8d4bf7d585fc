-- Images of one snapshot, each with its blobs as a list of {blob_digest, size_bytes} (NULL when
-- it has no blob rows; $layers false reads none). No ORDER BY: unordered results stream in
-- bounded memory; the loader (lifecycle/model.load_images) orders images per repository itself.
-- Times are naive UTC: the loader makes them aware a column at a time.
SELECT
    i.account_id,
    i.region,
    i.repository_name,
    i.image_digest,
    i.image_tags,
    i.size_bytes,
    i.pushed_at,
    i.last_pulled_at,
    i.image_status,
    i.archived_at,
    i.activated_at,
    i.child_digests,
    i.subject_digest,
    b.blobs
FROM ecr_images AS i
LEFT JOIN (
    SELECT
        account_id,
        region,
        repository_name,
        image_digest,
        list({'blob_digest': blob_digest, 'size_bytes': size_bytes}) AS blobs
    FROM ecr_image_blobs
    WHERE snapshot_id = $snapshot_id AND $layers
    GROUP BY account_id, region, repository_name, image_digest
) AS b USING (account_id, region, repository_name, image_digest)
WHERE i.snapshot_id = $snapshot_id;
