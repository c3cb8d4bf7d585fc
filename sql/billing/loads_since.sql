-- The billing periods whose load landed at or after $since (UTC): what a run kept.
SELECT billing_period FROM billing_loads WHERE loaded_at >= $since ORDER BY billing_period
