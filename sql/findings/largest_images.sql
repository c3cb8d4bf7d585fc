-- The $top largest images (manifest lists left out: their children are listed themselves).
-- Bytes: the image's own blobs when its manifest was read, else imageSizeInBytes (estimated).
WITH images AS (
    SELECT
        i.account_id, i.region, i.repository_name, i.image_digest, i.image_tags, i.size_bytes,
        i.pushed_at::TIMESTAMPTZ AS pushed_at, i.last_pulled_at::TIMESTAMPTZ AS last_pulled_at,
        i.image_status, i.child_digests,
        COALESCE(i.manifest_media_type IN (
            'application/vnd.docker.distribution.manifest.list.v2+json',
            'application/vnd.oci.image.index.v1+json'
        ), false) OR len(i.child_digests) > 0 AS is_list
    FROM ecr_images AS i
    WHERE i.snapshot_id = $snapshot_id
),
blob_bytes AS (
    SELECT account_id, region, repository_name, image_digest, sum(size_bytes) AS bytes
    FROM (
        SELECT DISTINCT account_id, region, repository_name, image_digest, blob_digest, size_bytes
        FROM ecr_image_blobs
        WHERE snapshot_id = $snapshot_id
    )
    GROUP BY ALL
),
parents AS (
    SELECT account_id, region, repository_name, unnest(child_digests) AS image_digest,
        image_tags AS parent_tags
    FROM images
    WHERE is_list
)
SELECT
    i.account_id, i.region, i.repository_name, i.image_digest, i.image_tags,
    i.pushed_at, i.last_pulled_at, i.image_status,
    COALESCE(b.bytes, i.size_bytes, 0) AS bytes,
    b.bytes IS NULL AS estimated,
    COALESCE(flatten(list(p.parent_tags) FILTER (WHERE p.parent_tags IS NOT NULL)), [])
        AS parent_tags,
    count(p.image_digest) > 0 AS is_child
FROM images AS i
LEFT JOIN blob_bytes AS b USING (account_id, region, repository_name, image_digest)
LEFT JOIN parents AS p USING (account_id, region, repository_name, image_digest)
WHERE NOT i.is_list
GROUP BY ALL
ORDER BY bytes DESC, i.account_id, i.region, i.repository_name, i.image_digest
LIMIT $top
