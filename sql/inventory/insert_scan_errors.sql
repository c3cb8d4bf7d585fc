-- staged_scan_errors: an Arrow table registered by pipelines/inventory/store.py
INSERT INTO ecr_scan_errors
SELECT
    $snapshot_id, $taken_at, account_id, region, repository_name, operation, error_code,
    message
FROM staged_scan_errors
