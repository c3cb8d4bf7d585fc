-- What the warehouse holds of each period asked for: its bill loaded, its marts built (after an
-- interrupted run: what landed, read back rather than assumed).
SELECT p AS period,
    EXISTS (SELECT 1 FROM billing_loads AS b WHERE b.billing_period = p) AS billed,
    EXISTS (SELECT 1 FROM mart_builds AS m WHERE m.billing_period = p) AS marts
FROM unnest($periods::VARCHAR[]) AS t(p)
ORDER BY p
