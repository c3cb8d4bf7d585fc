-- Column names and types of one Parquet file (reads the footer only).
DESCRIBE SELECT * FROM read_parquet($file)
