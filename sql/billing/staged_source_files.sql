-- The bill files the extracted ECR lines of one period came from (each row's own file, as the
-- engine named it): the load refuses a period delivered from several folders.
SELECT DISTINCT CAST(source_file AS VARCHAR) AS source_file
FROM read_parquet($files, union_by_name = true)
ORDER BY source_file
