-- Image digests stored in more than one repository (any account or region), one row per digest
-- with every copy, the first pushed first (that one is counted as the original). Manifest lists
-- are left out: their children carry the bytes and are listed themselves.
WITH images AS (
    SELECT
        i.account_id, i.region, i.repository_name, i.image_digest, i.image_tags, i.size_bytes,
        i.pushed_at, i.image_status IN ('ARCHIVED', 'ACTIVATING') AS archived
    FROM ecr_images AS i
    WHERE i.snapshot_id = $snapshot_id
      AND NOT (
          COALESCE(i.manifest_media_type IN (
              'application/vnd.docker.distribution.manifest.list.v2+json',
              'application/vnd.oci.image.index.v1+json'
          ), false) OR len(i.child_digests) > 0
      )
),
duplicated AS (
    SELECT image_digest FROM images GROUP BY image_digest HAVING count(*) > 1
),
copies AS (
    SELECT i.* FROM images AS i SEMI JOIN duplicated USING (image_digest)
),
blob_bytes AS (
    SELECT account_id, region, repository_name, image_digest, sum(size_bytes) AS bytes
    FROM (
        SELECT DISTINCT b.account_id, b.region, b.repository_name, b.image_digest,
            b.blob_digest, b.size_bytes
        FROM ecr_image_blobs AS b
        SEMI JOIN duplicated USING (image_digest)
        WHERE b.snapshot_id = $snapshot_id
    )
    GROUP BY ALL
)
SELECT
    c.image_digest,
    count(*) AS repository_count,
    list({
        'account_id': c.account_id, 'region': c.region, 'repository_name': c.repository_name,
        'tags': c.image_tags, 'pushed_at': c.pushed_at, 'bytes': COALESCE(b.bytes, c.size_bytes, 0),
        'archived': c.archived, 'estimated': b.bytes IS NULL
    } ORDER BY c.pushed_at, c.account_id, c.region, c.repository_name) AS copies
FROM copies AS c
LEFT JOIN blob_bytes AS b USING (account_id, region, repository_name, image_digest)
GROUP BY c.image_digest
ORDER BY c.image_digest
