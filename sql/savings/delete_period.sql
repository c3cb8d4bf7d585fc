DELETE FROM realized_savings WHERE billing_period = $period
