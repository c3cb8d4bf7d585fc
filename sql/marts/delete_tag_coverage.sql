DELETE FROM tag_coverage WHERE billing_period = $period
