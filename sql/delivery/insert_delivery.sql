-- One delivery attempt.
INSERT INTO report_deliveries (billing_period, destination, report_digest, status, attempted_at,
    detail)
VALUES ($period, $destination, $digest, $status, $attempted_at, $detail)
