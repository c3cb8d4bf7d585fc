-- The first billing period the warehouse holds (NULL when none): where Dagster's monthly
-- partitions start unless first_period is set.
SELECT min(billing_period) AS first_period FROM loaded_periods
