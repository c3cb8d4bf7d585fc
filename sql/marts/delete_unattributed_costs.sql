DELETE FROM unattributed_costs WHERE billing_period = $period
