-- The destinations that already received this report (its period and digest).
SELECT DISTINCT destination
FROM report_deliveries
WHERE billing_period = $period AND report_digest = $digest AND status = 'sent'
