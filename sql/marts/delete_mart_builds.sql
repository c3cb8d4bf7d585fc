DELETE FROM mart_builds WHERE billing_period = $period
