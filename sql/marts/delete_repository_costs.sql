DELETE FROM repository_costs WHERE billing_period = $period
