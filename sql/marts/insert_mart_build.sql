-- Totals summed exactly (attr_lines is DECIMAL; stored tables through macro exact_sum).
INSERT INTO mart_builds
SELECT $period, now() AT TIME ZONE 'UTC',
    (SELECT loaded_at FROM billing_loads WHERE billing_period = $period),
    $snapshot_id, $tags_source, $estimated, $settings_key,
    (SELECT coalesce(sum(line_count), 0) FROM attr_lines),
    (SELECT CAST(coalesce(sum(cost), 0) AS DOUBLE) FROM attr_lines),
    (SELECT coalesce(exact_sum(net_cost), 0) FROM repository_costs WHERE billing_period = $period),
    (SELECT coalesce(exact_sum(cost), 0) FROM unattributed_costs WHERE billing_period = $period)
