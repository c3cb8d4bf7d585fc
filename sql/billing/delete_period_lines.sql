DELETE FROM cur_ecr_lines WHERE billing_period = $period
