-- Every inventory snapshot, newest first, with the accounts and regions it covers (read, or
-- asked for and failed), what it is missing, and how its in-use sources were read.
WITH covered AS (
    SELECT snapshot_id, account_id, region FROM ecr_repositories
    UNION
    SELECT snapshot_id, account_id, region FROM ecr_scan_errors WHERE account_id IS NOT NULL
),
scope AS (
    SELECT
        snapshot_id,
        list(DISTINCT account_id ORDER BY account_id) AS accounts,
        list(DISTINCT region ORDER BY region) FILTER (WHERE region IS NOT NULL) AS regions
    FROM covered
    GROUP BY snapshot_id
),
missing AS (
    SELECT
        snapshot_id,
        list(
            concat_ws('/', coalesce(account_id, '*'), coalesce(region, '*'),
                      coalesce(repository_name, '*'))
            || ': ' || operation || ' ' || error_code
            ORDER BY account_id, region, repository_name, operation
        ) AS missing
    FROM ecr_scan_errors
    GROUP BY snapshot_id
),
in_use AS (
    SELECT
        snapshot_id,
        list({'source': source, 'scope': scope, 'status': status, 'detail': detail}
             ORDER BY source, scope) AS in_use_sources
    FROM ecr_in_use_sources
    GROUP BY snapshot_id
)
SELECT
    s.snapshot_id,
    s.taken_at,
    s.source,
    s.manifests_read,
    coalesce(scope.accounts, []) AS accounts,
    coalesce(scope.regions, []) AS regions,
    s.repository_count,
    s.image_count,
    CASE
        WHEN s.error_count > 0 THEN 'partial'
        WHEN s.repository_count = 0 THEN 'empty'
        ELSE 'complete'
    END AS state,
    coalesce(missing.missing, []) AS missing,
    coalesce(in_use.in_use_sources, []) AS in_use_sources
FROM ecr_snapshots AS s
LEFT JOIN scope USING (snapshot_id)
LEFT JOIN missing USING (snapshot_id)
LEFT JOIN in_use USING (snapshot_id)
ORDER BY s.taken_at DESC, s.snapshot_id DESC
