-- Billed bytes and expected monthly cost per repository of one inventory snapshot.
CREATE OR REPLACE TEMP TABLE attr_inventory AS
WITH sized AS (
    -- The billed size is the inventory's one rule (sql/schema/056_repository_billed_sizes.sql);
    -- the marts name its basis by what was counted.
    SELECT account_id, region, repository_name,
        CASE size_basis WHEN 'deduplicated' THEN 'unique_blobs' ELSE 'image_sizes' END
            AS expected_basis,
        billed_bytes::BIGINT AS storage_bytes,
        archived_bytes::BIGINT AS archive_bytes
    FROM repository_billed_sizes
    WHERE snapshot_id = $snapshot_id
),
prices AS (
    SELECT
        unnest($price_regions::VARCHAR[]) AS region,
        unnest($storage_prices::DOUBLE[]) AS storage_price,
        unnest($archive_prices::DOUBLE[]) AS archive_price
)
SELECT z.*,
    -- AWS bills GB as GiB.
    z.storage_bytes / 1073741824.0 * coalesce(p.storage_price, $default_storage_price)
    + z.archive_bytes / 1073741824.0 * coalesce(p.archive_price, $default_archive_price)
        AS expected_monthly_cost
FROM sized AS z
LEFT JOIN prices AS p ON p.region = z.region
