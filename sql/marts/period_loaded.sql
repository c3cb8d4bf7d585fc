-- Is the period loaded (view loaded_periods)?
SELECT count(*) > 0 FROM loaded_periods WHERE billing_period = $period
