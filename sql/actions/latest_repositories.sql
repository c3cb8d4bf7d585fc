-- The repositories of snapshot $snapshot_id (the latest when NULL), with what deleting them
-- would free and whether they carry the exemption tag. Bytes: unique layer/config blobs when
-- manifests were read (layers shared by images are billed once), else the images' sizes
-- without manifest lists (their children are listed as images of their own).
WITH chosen AS (
    SELECT snapshot_id, taken_at FROM ecr_snapshots
    WHERE snapshot_id = COALESCE($snapshot_id, (SELECT snapshot_id FROM latest_snapshot))
),
images AS (
    SELECT
        i.account_id, i.region, i.repository_name,
        count(*) AS image_count,
        sum(CASE WHEN cardinality(i.child_digests) = 0 AND i.image_status <> 'ARCHIVED'
                 THEN coalesce(i.size_bytes, 0) ELSE 0 END) AS standard_image_bytes,
        sum(CASE WHEN cardinality(i.child_digests) = 0 AND i.image_status = 'ARCHIVED'
                 THEN coalesce(i.size_bytes, 0) ELSE 0 END) AS archive_bytes,
        max(greatest(i.pushed_at, coalesce(i.last_pulled_at, i.pushed_at),
                     coalesce(i.activated_at, i.pushed_at))) AS last_activity
    FROM ecr_images AS i JOIN chosen USING (snapshot_id)
    GROUP BY i.account_id, i.region, i.repository_name
),
blobs AS (
    SELECT account_id, region, repository_name, sum(size_bytes) AS blob_bytes
    FROM (
        SELECT DISTINCT b.account_id, b.region, b.repository_name, b.blob_digest, b.size_bytes
        FROM ecr_image_blobs AS b
        JOIN chosen USING (snapshot_id)
        JOIN ecr_images AS i
          ON i.snapshot_id = b.snapshot_id AND i.account_id = b.account_id
         AND i.region = b.region AND i.repository_name = b.repository_name
         AND i.image_digest = b.image_digest
        WHERE i.image_status <> 'ARCHIVED'
    )
    GROUP BY account_id, region, repository_name
)
SELECT
    r.account_id,
    r.region,
    r.repository_name,
    r.repository_arn,
    r.created_at,
    chosen.taken_at AS snapshot_taken_at,
    coalesce(i.image_count, 0) AS image_count,
    coalesce(b.blob_bytes, i.standard_image_bytes, 0) AS standard_bytes,
    coalesce(i.archive_bytes, 0) AS archive_bytes,
    i.last_activity,
    list_contains(r.tag_keys, $exemption_tag) AS exempt_tagged
FROM repository_policy_tags AS r
JOIN chosen USING (snapshot_id)
LEFT JOIN images AS i USING (account_id, region, repository_name)
LEFT JOIN blobs AS b USING (account_id, region, repository_name)
ORDER BY r.account_id, r.region, r.repository_name
