-- When each period's bill was last loaded (a report older than this is stale).
SELECT billing_period, loaded_at
FROM billing_loads
WHERE billing_period IN (SELECT unnest($periods::VARCHAR[]))
