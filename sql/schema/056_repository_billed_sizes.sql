-- A repository's billed size in every snapshot: the one definition, read by the inventory's
-- summary and CSV (sql/inventory/billed_sizes.sql) and by the marts' expected cost
-- (sql/marts/attr_inventory.sql).
-- size_basis 'deduplicated': manifests were read for every image, so billed_bytes is the sum of
-- the repository's unique blobs (layers and configs), each counted once however many images
-- (or children of a manifest list) share it. 'estimated': the sum of imageSizeInBytes over the
-- images that are not manifest lists (a list's size repeats its largest child, which is listed
-- as an image of its own). Archived (and restoring) images are billed at the archive price,
-- so their bytes are kept apart in archived_bytes. summed_image_bytes is the playbook script's
-- figure: every ACTIVE image's size summed, shared layers and lists included.
CREATE OR REPLACE VIEW repository_billed_sizes AS
WITH images AS (
    SELECT
        i.snapshot_id, i.account_id, i.region, i.repository_name, i.image_digest, i.image_tags,
        i.size_bytes, i.image_status,
        COALESCE(i.manifest_media_type IN (
            'application/vnd.docker.distribution.manifest.list.v2+json',
            'application/vnd.oci.image.index.v1+json'
        ), false) OR len(i.child_digests) > 0 AS is_list,
        i.image_status IN ('ARCHIVED', 'ACTIVATING') AS archived
    FROM ecr_images AS i
),
read_images AS (
    SELECT DISTINCT snapshot_id, account_id, region, repository_name, image_digest
    FROM ecr_image_blobs
),
unique_blobs AS (
    SELECT
        b.snapshot_id, b.account_id, b.region, b.repository_name, i.archived, b.blob_digest,
        max(b.size_bytes) AS size_bytes
    FROM ecr_image_blobs AS b
    JOIN images AS i USING (snapshot_id, account_id, region, repository_name, image_digest)
    GROUP BY ALL
),
deduplicated AS (
    SELECT
        snapshot_id, account_id, region, repository_name,
        COALESCE(sum(size_bytes) FILTER (WHERE NOT archived), 0) AS billed_bytes,
        COALESCE(sum(size_bytes) FILTER (WHERE archived), 0) AS archived_bytes
    FROM unique_blobs
    GROUP BY ALL
),
per_repository AS (
    SELECT
        r.snapshot_id, r.account_id, r.region, r.repository_name, r.complete,
        count(i.image_digest) AS image_count,
        count(i.image_digest) FILTER (WHERE len(i.image_tags) = 0) AS untagged_count,
        count(i.image_digest) FILTER (WHERE i.archived) AS archived_count,
        COALESCE(sum(i.size_bytes) FILTER (WHERE i.image_status = 'ACTIVE'), 0)
            AS summed_image_bytes,
        COALESCE(sum(i.size_bytes) FILTER (WHERE NOT i.is_list AND NOT i.archived), 0)
            AS estimated_bytes,
        COALESCE(sum(i.size_bytes) FILTER (WHERE NOT i.is_list AND i.archived), 0)
            AS estimated_archived_bytes,
        count(i.image_digest) FILTER (WHERE NOT i.is_list AND ri.image_digest IS NULL)
            AS unread_count
    FROM ecr_repositories AS r
    LEFT JOIN images AS i USING (snapshot_id, account_id, region, repository_name)
    LEFT JOIN read_images AS ri USING (snapshot_id, account_id, region, repository_name, image_digest)
    GROUP BY ALL
)
SELECT
    p.snapshot_id, p.account_id, p.region, p.repository_name, p.complete, p.image_count,
    p.untagged_count, p.archived_count, p.summed_image_bytes,
    CASE WHEN s.manifests_read AND p.unread_count = 0
        THEN COALESCE(d.billed_bytes, 0) ELSE p.estimated_bytes END AS billed_bytes,
    CASE WHEN s.manifests_read AND p.unread_count = 0
        THEN COALESCE(d.archived_bytes, 0) ELSE p.estimated_archived_bytes END AS archived_bytes,
    CASE WHEN s.manifests_read AND p.unread_count = 0
        THEN 'deduplicated' ELSE 'estimated' END AS size_basis
FROM per_repository AS p
JOIN ecr_snapshots AS s USING (snapshot_id)
LEFT JOIN deduplicated AS d USING (snapshot_id, account_id, region, repository_name)
