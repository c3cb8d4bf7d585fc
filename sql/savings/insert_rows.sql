-- One row per judged action, from the relation `staged` (sqlfiles.insert_staged): one column
-- per field of savings.realized.ActionVerdict except the period, which is bound.
INSERT INTO realized_savings BY NAME
SELECT $period AS billing_period, staged.*, $computed_at::TIMESTAMP AS computed_at
FROM staged
