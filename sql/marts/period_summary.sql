SELECT total_cost, unattributed_cost, estimated, tags_source, snapshot_id, line_count,
    (SELECT count(*) FROM billing_loads WHERE billing_period = $period) AS loads
FROM mart_builds
WHERE billing_period = $period
