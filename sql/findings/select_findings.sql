-- Stored findings of one snapshot (NULL: the latest with findings), in display order.
SELECT
    snapshot_id, taken_at::TIMESTAMPTZ AS taken_at, kind, rank, account_id, region,
    repository_name, subject, detail, bytes, monthly_cost_usd, estimated, image_count,
    repository_count, repositories, facts
FROM findings
WHERE snapshot_id = COALESCE(
    $snapshot_id,
    (SELECT snapshot_id FROM findings ORDER BY taken_at DESC, snapshot_id DESC LIMIT 1)
)
ORDER BY kind, rank
