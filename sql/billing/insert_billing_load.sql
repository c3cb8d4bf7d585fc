INSERT INTO billing_loads (
    billing_period, source_format, location, files, fingerprint, ecr_rows, source_ecr_cost,
    complete, notes, loaded_at
)
VALUES (
    $period, $source_format, $location, $files, $fingerprint, $ecr_rows, $source_ecr_cost,
    $complete, $notes, timezone('UTC', now())
)
