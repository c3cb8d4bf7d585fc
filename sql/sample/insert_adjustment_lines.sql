-- The month-level adjustments of the sample bill, in the order AWS applies them: the enterprise
-- discount (EdpDiscount: -$edp x usage, per account, region and product), a promotional credit
-- ($credit_share of $credit_account's ECR usage) and tax ($tax_rates[i] for account
-- $tax_accounts[i], per product: rate x (usage + discount + credit)). Sums are DECIMAL, so the
-- same seed gives the same cents. Tax lines carry no resource id: attribution must show them as
-- unattributed. Every adjustment is written with the one column layout below.
INSERT INTO lines
WITH usage AS (
    SELECT * FROM lines WHERE line_item_line_item_type = 'Usage'
),
discounts AS (
    SELECT
        md5(concat_ws(':', $seed, 'edp', billing_period, line_item_usage_account_id,
                      line_item_product_code, product_region_code)) AS line_id,
        billing_period,
        any_value(bill_billing_period_start_date) AS period_start,
        any_value(bill_billing_period_end_date) AS period_end,
        line_item_usage_account_id AS account_id,
        'EdpDiscount' AS line_item_type,
        line_item_product_code AS product_code,
        0.0 AS usage_amount,
        -round(sum(line_item_unblended_cost::DECIMAL(38, 12)) * $edp::DECIMAL(10, 4), 10)::DOUBLE
            AS cost,
        0.0 AS net_cost,
        'Enterprise Program Discount' AS description,
        '' AS tax_type,
        'Amazon Web Services, Inc.' AS legal_entity,
        any_value(product_product_name) AS product_name,
        any_value(product_location) AS location,
        'AWS Region' AS location_type,
        product_region_code AS region,
        any_value(product_servicename) AS service_name,
        CASE WHEN line_item_product_code = 'AmazonECR' THEN 'discount' ELSE 'non_ecr' END
            AS category
    FROM usage
    GROUP BY billing_period, line_item_usage_account_id, line_item_product_code, product_region_code
),
credits AS (
    SELECT
        md5(concat_ws(':', $seed, 'credit', billing_period)) AS line_id,
        billing_period,
        any_value(bill_billing_period_start_date) AS period_start,
        any_value(bill_billing_period_end_date) AS period_end,
        $credit_account AS account_id,
        'Credit' AS line_item_type,
        'AmazonECR' AS product_code,
        0.0 AS usage_amount,
        -round(
            sum(line_item_unblended_cost::DECIMAL(38, 12)) * $credit_share::DECIMAL(10, 4), 10
        )::DOUBLE AS cost,
        NULL::DOUBLE AS net_cost,
        'AWS Promotional Credit (container registry migration)' AS description,
        '' AS tax_type,
        'Amazon Web Services, Inc.' AS legal_entity,
        'Amazon EC2 Container Registry (ECR)' AS product_name,
        '' AS location,
        '' AS location_type,
        '' AS region,
        'Amazon EC2 Container Registry (ECR)' AS service_name,
        'credit' AS category
    FROM usage
    WHERE line_item_product_code = 'AmazonECR' AND line_item_usage_account_id = $credit_account
    GROUP BY billing_period
),
tax_rates AS (
    SELECT unnest($tax_accounts) AS account_id, unnest($tax_rates) AS rate
),
taxed AS (
    SELECT
        billing_period, bill_billing_period_start_date AS period_start,
        bill_billing_period_end_date AS period_end, line_item_usage_account_id AS account_id,
        line_item_product_code AS product_code, line_item_unblended_cost AS cost,
        product_product_name AS product_name, product_servicename AS service_name
    FROM usage
    UNION ALL
    SELECT
        billing_period, period_start, period_end, account_id, product_code, cost, product_name,
        service_name
    FROM discounts
    UNION ALL
    SELECT
        billing_period, period_start, period_end, account_id, product_code, cost, product_name,
        service_name
    FROM credits
),
taxes AS (
    SELECT
        md5(concat_ws(':', $seed, 'tax', t.billing_period, t.account_id, t.product_code))
            AS line_id,
        t.billing_period,
        any_value(t.period_start) AS period_start,
        any_value(t.period_end) AS period_end,
        t.account_id,
        'Tax' AS line_item_type,
        t.product_code,
        1.0 AS usage_amount,
        round(sum(t.cost::DECIMAL(38, 12)) * any_value(r.rate)::DECIMAL(10, 4), 10)::DOUBLE
            AS cost,
        NULL::DOUBLE AS net_cost,
        'Tax for product code ' || t.product_code AS description,
        'VAT' AS tax_type,
        'Amazon Web Services EMEA SARL' AS legal_entity,
        any_value(t.product_name) AS product_name,
        '' AS location,
        '' AS location_type,
        '' AS region,
        any_value(t.service_name) AS service_name,
        CASE WHEN t.product_code = 'AmazonECR' THEN 'tax' ELSE 'non_ecr' END AS category
    FROM taxed AS t
    JOIN tax_rates AS r USING (account_id)
    GROUP BY t.billing_period, t.account_id, t.product_code
),
adjustments AS (
    SELECT * FROM discounts
    UNION ALL BY NAME
    SELECT * FROM credits
    UNION ALL BY NAME
    SELECT * FROM taxes
)
SELECT
    line_id,
    strftime(period_start, '%Y-%m-%dT%H:%M:%SZ') || '/'
        || strftime(period_end, '%Y-%m-%dT%H:%M:%SZ'),
    '', 'AWS', 'AWS', 'Anniversary', $payer,
    period_start, period_end,
    account_id, line_item_type,
    period_start, period_end,
    product_code, '', '', '', '', usage_amount, 0.0, 0.0, 'USD', '',
    cost, '', cost, '', coalesce(net_cost, cost),
    description, tax_type, legal_entity,
    product_name, '', '', location, location_type, region, region, product_code,
    service_name, '', '', '', '', '', 'USD', 0.0, '', '', '',
    billing_period, NULL, category
FROM adjustments
