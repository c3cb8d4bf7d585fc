-- One month of line items with their tags and account names, in the order the layouts write them
-- (a temporary table: the layouts' selects are plain scans of it, which keep this order).
CREATE OR REPLACE TEMP TABLE period_bill AS
SELECT
    l.*,
    t.* EXCLUDE (repo_id, billing_period),
    pa.account_name AS payer_account_name,
    ua.account_name AS usage_account_name
FROM lines l
LEFT JOIN tag_columns t USING (repo_id, billing_period)
LEFT JOIN accounts pa ON pa.account_id = l.bill_payer_account_id
LEFT JOIN accounts ua ON ua.account_id = l.line_item_usage_account_id
WHERE l.billing_period = $period
ORDER BY l.line_item_usage_start_date, l.identity_line_item_id
