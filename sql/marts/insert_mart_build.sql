-- Sums as DECIMAL: the same to the last digit on every run (sql/marts/attr_lines.sql).
INSERT INTO mart_builds
SELECT $period, now() AT TIME ZONE 'UTC',
    (SELECT loaded_at FROM billing_loads WHERE billing_period = $period),
    $snapshot_id, $tags_source, $estimated, $settings_key,
    (SELECT coalesce(sum(line_count), 0) FROM attr_lines),
    (SELECT CAST(coalesce(sum(cost), 0) AS DOUBLE) FROM attr_lines),
    (SELECT CAST(coalesce(sum(CAST(net_cost AS DECIMAL(38, 12))), 0) AS DOUBLE)
        FROM repository_costs WHERE billing_period = $period),
    (SELECT CAST(coalesce(sum(CAST(cost AS DECIMAL(38, 12))), 0) AS DOUBLE)
        FROM unattributed_costs WHERE billing_period = $period)
