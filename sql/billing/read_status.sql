-- Legacy CUR Athena layout: cost_and_usage_data_status says READY or UPDATING.
SELECT status FROM read_parquet($file)
