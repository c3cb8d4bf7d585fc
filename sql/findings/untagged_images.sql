-- Untagged images per repository that no tag keeps, and the bytes only they hold.
-- An untagged image is kept (not counted) when it is reachable from a tagged image through
-- manifest-list children or referrers (signatures, SBOMs): deleting it would break the tag.
-- Bytes: with every manifest of the repository read, the unique blobs no other image of the
-- repository uses (archived when every holder is archived); otherwise the summed sizes of the
-- untagged images that are not manifest lists (estimated: shared layers count in full).
WITH RECURSIVE snap AS (
    SELECT snapshot_id, manifests_read FROM ecr_snapshots WHERE snapshot_id = $snapshot_id
),
images AS (
    SELECT
        i.account_id, i.region, i.repository_name, i.image_digest, i.image_tags, i.size_bytes,
        i.child_digests, i.subject_digest,
        i.image_status IN ('ARCHIVED', 'ACTIVATING') AS archived,
        COALESCE(i.manifest_media_type IN (
            'application/vnd.docker.distribution.manifest.list.v2+json',
            'application/vnd.oci.image.index.v1+json'
        ), false) OR len(i.child_digests) > 0 AS is_list
    FROM ecr_images AS i
    JOIN snap USING (snapshot_id)
),
edges AS (
    SELECT account_id, region, repository_name, image_digest AS parent,
        unnest(child_digests) AS child
    FROM images
    UNION ALL
    SELECT account_id, region, repository_name, subject_digest AS parent, image_digest AS child
    FROM images
    WHERE subject_digest IS NOT NULL
),
kept(account_id, region, repository_name, image_digest) AS (
    SELECT account_id, region, repository_name, image_digest FROM images
    WHERE len(image_tags) > 0
    UNION
    SELECT e.account_id, e.region, e.repository_name, e.child
    FROM kept AS k
    JOIN edges AS e
        ON e.account_id = k.account_id AND e.region = k.region
       AND e.repository_name = k.repository_name AND e.parent = k.image_digest
),
untagged AS (
    SELECT i.*
    FROM images AS i
    ANTI JOIN kept AS k USING (account_id, region, repository_name, image_digest)
    WHERE len(i.image_tags) = 0
),
blobs AS (
    SELECT b.account_id, b.region, b.repository_name, b.image_digest, b.blob_digest,
        b.size_bytes
    FROM ecr_image_blobs AS b
    JOIN snap USING (snapshot_id)
),
unread AS (
    SELECT i.account_id, i.region, i.repository_name, count(*) AS unread_count
    FROM images AS i
    ANTI JOIN (SELECT DISTINCT account_id, region, repository_name, image_digest FROM blobs)
        USING (account_id, region, repository_name, image_digest)
    WHERE NOT i.is_list
    GROUP BY ALL
),
other_blobs AS (
    SELECT DISTINCT b.account_id, b.region, b.repository_name, b.blob_digest
    FROM blobs AS b
    ANTI JOIN untagged AS u USING (account_id, region, repository_name, image_digest)
),
alone AS (
    SELECT b.account_id, b.region, b.repository_name, b.blob_digest,
        max(b.size_bytes) AS size_bytes, bool_and(u.archived) AS archived
    FROM blobs AS b
    JOIN untagged AS u USING (account_id, region, repository_name, image_digest)
    ANTI JOIN other_blobs AS o USING (account_id, region, repository_name, blob_digest)
    GROUP BY ALL
),
alone_bytes AS (
    SELECT account_id, region, repository_name,
        COALESCE(sum(size_bytes) FILTER (WHERE NOT archived), 0) AS standard_bytes,
        COALESCE(sum(size_bytes) FILTER (WHERE archived), 0) AS archived_bytes
    FROM alone
    GROUP BY ALL
),
per_repository AS (
    SELECT account_id, region, repository_name,
        count(*) AS image_count,
        COALESCE(sum(size_bytes) FILTER (WHERE NOT is_list AND NOT archived), 0)
            AS summed_standard_bytes,
        COALESCE(sum(size_bytes) FILTER (WHERE NOT is_list AND archived), 0)
            AS summed_archived_bytes
    FROM untagged
    GROUP BY ALL
),
untagged_total AS (
    SELECT account_id, region, repository_name, count(*) AS untagged_total
    FROM images
    WHERE len(image_tags) = 0
    GROUP BY ALL
)
SELECT
    p.account_id, p.region, p.repository_name, p.image_count, t.untagged_total,
    s.manifests_read AND COALESCE(n.unread_count, 0) = 0 AS deduplicated,
    CASE WHEN s.manifests_read AND COALESCE(n.unread_count, 0) = 0
        THEN COALESCE(a.standard_bytes, 0) ELSE p.summed_standard_bytes END AS standard_bytes,
    CASE WHEN s.manifests_read AND COALESCE(n.unread_count, 0) = 0
        THEN COALESCE(a.archived_bytes, 0) ELSE p.summed_archived_bytes END AS archived_bytes
FROM per_repository AS p
CROSS JOIN snap AS s
JOIN untagged_total AS t USING (account_id, region, repository_name)
LEFT JOIN unread AS n USING (account_id, region, repository_name)
LEFT JOIN alone_bytes AS a USING (account_id, region, repository_name)
ORDER BY p.account_id, p.region, p.repository_name
