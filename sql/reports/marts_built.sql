-- Which of the periods have attribution marts (mart_builds), and how they were built.
SELECT billing_period, estimated, tags_source, snapshot_id, built_at
FROM mart_builds
WHERE list_contains($periods, billing_period)
ORDER BY billing_period
