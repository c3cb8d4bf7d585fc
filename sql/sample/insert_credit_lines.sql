-- A promotional credit covering a share of one account's ECR usage each month.
INSERT INTO lines
SELECT
    md5(concat_ws(':', $seed, 'credit', billing_period)),
    strftime(any_value(bill_billing_period_start_date), '%Y-%m-%dT%H:%M:%SZ') || '/'
        || strftime(any_value(bill_billing_period_end_date), '%Y-%m-%dT%H:%M:%SZ'),
    '', 'AWS', 'AWS', 'Anniversary', $payer,
    any_value(bill_billing_period_start_date), any_value(bill_billing_period_end_date),
    $account, 'Credit',
    any_value(bill_billing_period_start_date), any_value(bill_billing_period_end_date),
    'AmazonECR', '', '', '', '', 0.0, 0.0, 0.0, 'USD', '',
    -round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $share::DECIMAL(10, 4), 10)::DOUBLE,
    '', -round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $share::DECIMAL(10, 4), 10)::DOUBLE,
    '', -round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $share::DECIMAL(10, 4), 10)::DOUBLE,
    'AWS Promotional Credit (container registry migration)', '', 'Amazon Web Services, Inc.',
    'Amazon EC2 Container Registry (ECR)', '', '', '', '', '', '', 'AmazonECR',
    'Amazon EC2 Container Registry (ECR)', '', '', '', '', '', 'USD', 0.0, '', '', '',
    billing_period, NULL, 'credit'
FROM lines
WHERE line_item_line_item_type = 'Usage' AND line_item_product_code = 'AmazonECR'
  AND line_item_usage_account_id = $account
GROUP BY billing_period
