SELECT tag_key FROM tag_coverage WHERE billing_period = $period ORDER BY tag_key
