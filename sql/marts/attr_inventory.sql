-- Billed bytes and expected monthly cost per repository of one inventory snapshot.
CREATE OR REPLACE TEMP TABLE attr_inventory AS
WITH repos AS (
    SELECT DISTINCT account_id, region, repository_name
    FROM ecr_repositories
    WHERE snapshot_id = $snapshot_id
),
images AS (
    SELECT
        account_id, region, repository_name, image_digest, size_bytes,
        image_status = 'ARCHIVED' AS archived,
        len(child_digests) > 0 AS is_index
    FROM ecr_images
    WHERE snapshot_id = $snapshot_id
),
-- A layer shared by images of one repository is billed once: count each blob once per class.
blobs AS (
    SELECT b.account_id, b.region, b.repository_name, i.archived, b.blob_digest,
        max(b.size_bytes) AS size_bytes
    FROM ecr_image_blobs AS b
    JOIN images AS i
        ON i.account_id = b.account_id AND i.region = b.region
        AND i.repository_name = b.repository_name AND i.image_digest = b.image_digest
    WHERE b.snapshot_id = $snapshot_id
    GROUP BY ALL
),
blob_bytes AS (
    SELECT account_id, region, repository_name,
        coalesce(sum(size_bytes) FILTER (WHERE NOT archived), 0) AS storage_bytes,
        coalesce(sum(size_bytes) FILTER (WHERE archived), 0) AS archive_bytes
    FROM blobs
    GROUP BY ALL
),
-- Without manifests: summed image sizes; an index's children are listed as images themselves.
image_bytes AS (
    SELECT account_id, region, repository_name,
        coalesce(sum(size_bytes) FILTER (WHERE NOT archived AND NOT is_index), 0) AS storage_bytes,
        coalesce(sum(size_bytes) FILTER (WHERE archived AND NOT is_index), 0) AS archive_bytes
    FROM images
    GROUP BY ALL
),
prices AS (
    SELECT
        unnest($price_regions::VARCHAR[]) AS region,
        unnest($storage_prices::DOUBLE[]) AS storage_price,
        unnest($archive_prices::DOUBLE[]) AS archive_price
),
sized AS (
    SELECT r.account_id, r.region, r.repository_name,
        CASE WHEN b.repository_name IS NOT NULL THEN 'unique_blobs' ELSE 'image_sizes' END
            AS expected_basis,
        CASE WHEN b.repository_name IS NOT NULL THEN b.storage_bytes
            ELSE coalesce(s.storage_bytes, 0) END::BIGINT AS storage_bytes,
        CASE WHEN b.repository_name IS NOT NULL THEN b.archive_bytes
            ELSE coalesce(s.archive_bytes, 0) END::BIGINT AS archive_bytes
    FROM repos AS r
    LEFT JOIN blob_bytes AS b
        ON b.account_id = r.account_id AND b.region = r.region
        AND b.repository_name = r.repository_name
    LEFT JOIN image_bytes AS s
        ON s.account_id = r.account_id AND s.region = r.region
        AND s.repository_name = r.repository_name
)
SELECT z.*,
    -- AWS bills GB as GiB.
    z.storage_bytes / 1073741824.0 * coalesce(p.storage_price, $default_storage_price)
    + z.archive_bytes / 1073741824.0 * coalesce(p.archive_price, $default_archive_price)
        AS expected_monthly_cost
FROM sized AS z
LEFT JOIN prices AS p ON p.region = z.region
