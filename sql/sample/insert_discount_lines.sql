-- EdpDiscount per account, region, product and month: -rate x usage (DECIMAL sums: deterministic).
INSERT INTO lines
SELECT
    md5(concat_ws(':', $seed, 'edp', billing_period, line_item_usage_account_id,
                  line_item_product_code, product_region_code)),
    strftime(any_value(bill_billing_period_start_date), '%Y-%m-%dT%H:%M:%SZ') || '/'
        || strftime(any_value(bill_billing_period_end_date), '%Y-%m-%dT%H:%M:%SZ'),
    '', 'AWS', 'AWS', 'Anniversary', $payer,
    any_value(bill_billing_period_start_date), any_value(bill_billing_period_end_date),
    line_item_usage_account_id, 'EdpDiscount',
    any_value(bill_billing_period_start_date), any_value(bill_billing_period_end_date),
    line_item_product_code, '', '', '', '', 0.0, 0.0, 0.0, 'USD', '',
    -round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $edp::DECIMAL(10, 4), 10)::DOUBLE,
    '', -round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $edp::DECIMAL(10, 4), 10)::DOUBLE,
    '', 0.0,
    'Enterprise Program Discount', '', 'Amazon Web Services, Inc.',
    any_value(product_product_name), '', '', any_value(product_location), 'AWS Region',
    product_region_code, product_region_code, line_item_product_code,
    any_value(product_servicename), '', '', '', '', '', 'USD', 0.0, '', '', '',
    billing_period, NULL,
    CASE WHEN line_item_product_code = 'AmazonECR' THEN 'discount' ELSE 'non_ecr' END
FROM lines
WHERE line_item_line_item_type = 'Usage'
GROUP BY billing_period, line_item_usage_account_id, line_item_product_code, product_region_code
