DELETE FROM billing_loads WHERE billing_period = $period
