DELETE FROM tag_key_folding WHERE billing_period = $period
