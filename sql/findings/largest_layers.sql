-- The $top layers with the largest billed footprint: a repository pays once for each layer it
-- holds, so footprint = layer size x repositories holding it. Only when manifests were read.
WITH holders AS (
    SELECT b.account_id, b.region, b.repository_name, b.image_digest, b.blob_digest,
        b.size_bytes, i.image_status IN ('ARCHIVED', 'ACTIVATING') AS archived
    FROM ecr_image_blobs AS b
    JOIN ecr_images AS i
        ON i.snapshot_id = b.snapshot_id AND i.account_id = b.account_id
       AND i.region = b.region AND i.repository_name = b.repository_name
       AND i.image_digest = b.image_digest
    WHERE b.snapshot_id = $snapshot_id AND b.blob_kind = 'layer'
),
copies AS (
    -- One billed copy per repository: archived when every image holding it there is.
    SELECT blob_digest, account_id, region, repository_name,
        max(size_bytes) AS size_bytes, bool_and(archived) AS archived,
        count(DISTINCT image_digest) AS image_count
    FROM holders
    GROUP BY ALL
),
top_layers AS (
    SELECT blob_digest,
        max(size_bytes) AS size_bytes,
        sum(size_bytes) AS footprint_bytes,
        count(*) AS repository_count,
        sum(image_count) AS image_count
    FROM copies
    GROUP BY blob_digest
    ORDER BY footprint_bytes DESC, size_bytes DESC, blob_digest
    LIMIT $top
)
SELECT
    t.blob_digest, t.size_bytes, t.footprint_bytes, t.repository_count, t.image_count,
    list({
        'account_id': c.account_id, 'region': c.region, 'repository_name': c.repository_name,
        'size_bytes': c.size_bytes, 'archived': c.archived, 'image_count': c.image_count
    } ORDER BY c.account_id, c.region, c.repository_name) AS copies
FROM top_layers AS t
JOIN copies AS c USING (blob_digest)
GROUP BY ALL
ORDER BY t.footprint_bytes DESC, t.size_bytes DESC, t.blob_digest
