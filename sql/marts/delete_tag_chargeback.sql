DELETE FROM tag_chargeback WHERE billing_period = $period
