-- Issue 11.2 for files without ECR lines: per Parquet file ($files), the lowest and highest
-- value of its billing-period column ($column) from the footer's column statistics (no data
-- read), and how many row groups carry none. Newer writers fill stats_min_value/stats_max_value,
-- older ones (the legacy CUR's) only the deprecated stats_min/stats_max.
SELECT
    file_name,
    min(coalesce(stats_min_value, stats_min)) AS low,
    max(coalesce(stats_max_value, stats_max)) AS high,
    count(*) FILTER (WHERE coalesce(stats_min_value, stats_min) IS NULL
        OR coalesce(stats_max_value, stats_max) IS NULL) AS without_stats
FROM parquet_metadata($files)
WHERE path_in_schema = $column
GROUP BY file_name
