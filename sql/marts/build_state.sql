-- What the period's marts were built from, next to what is current now.
SELECT
    b.billing_period IS NOT NULL AS built,
    b.load_loaded_at, b.snapshot_id, b.tags_source, b.settings_key,
    (SELECT loaded_at FROM billing_loads WHERE billing_period = $period) AS current_loaded_at
FROM (SELECT 1) AS one
LEFT JOIN mart_builds AS b ON b.billing_period = $period
