SELECT billing_period, source_format, location, complete, notes, loaded_at, ecr_rows,
    source_ecr_cost
FROM billing_loads
WHERE billing_period = $period
