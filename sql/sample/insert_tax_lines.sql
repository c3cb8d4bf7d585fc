-- Tax per product and month for the taxed account: rate x (usage + discounts + credits).
-- No resource id: attribution must show it as an unattributed line.
INSERT INTO lines
SELECT
    md5(concat_ws(':', $seed, 'tax', billing_period, $account, line_item_product_code)),
    strftime(any_value(bill_billing_period_start_date), '%Y-%m-%dT%H:%M:%SZ') || '/'
        || strftime(any_value(bill_billing_period_end_date), '%Y-%m-%dT%H:%M:%SZ'),
    '', 'AWS', 'AWS', 'Anniversary', $payer,
    any_value(bill_billing_period_start_date), any_value(bill_billing_period_end_date),
    $account, 'Tax',
    any_value(bill_billing_period_start_date), any_value(bill_billing_period_end_date),
    line_item_product_code, '', '', '', '', 1.0, 0.0, 0.0, 'USD', '',
    round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $rate::DECIMAL(10, 4), 10)::DOUBLE,
    '', round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $rate::DECIMAL(10, 4), 10)::DOUBLE,
    '', round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $rate::DECIMAL(10, 4), 10)::DOUBLE,
    'Tax for product code ' || line_item_product_code, 'VAT', 'Amazon Web Services EMEA SARL',
    any_value(product_product_name), '', '', '', '', '', '', line_item_product_code,
    any_value(product_servicename), '', '', '', '', '', 'USD', 0.0, '', '', '',
    billing_period, NULL,
    CASE WHEN line_item_product_code = 'AmazonECR' THEN 'tax' ELSE 'non_ecr' END
FROM lines
WHERE line_item_usage_account_id = $account
  AND line_item_line_item_type IN ('Usage', 'EdpDiscount', 'Credit')
GROUP BY billing_period, line_item_product_code
