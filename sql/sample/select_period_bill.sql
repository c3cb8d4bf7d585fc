-- The month's line items in write order (legacy Parquet is built from them).
SELECT * FROM period_bill
