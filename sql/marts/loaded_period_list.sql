-- Every loaded billing period (view loaded_periods), oldest first: what `costs` and the report
-- name when a period is not loaded, and where their default falls back to.
SELECT billing_period FROM loaded_periods ORDER BY billing_period
