SELECT median(net_cost), count(*) FROM repository_costs WHERE billing_period = $period
