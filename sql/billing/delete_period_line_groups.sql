DELETE FROM cur_ecr_line_groups WHERE billing_period = $period
