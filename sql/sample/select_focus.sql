-- One month of FOCUS 1.2 (Data Exports FOCUS_1_2_AWS): BilledCost = unblended cost,
-- EffectiveCost = net unblended cost, SkuMeter = usage type, Tags with bare keys.
SELECT
    nullif(l.line_item_availability_zone, '') AS AvailabilityZone,
    l.line_item_unblended_cost AS BilledCost,
    l.bill_payer_account_id AS BillingAccountId,
    l.payer_account_name AS BillingAccountName,
    'USD' AS BillingCurrency,
    l.bill_billing_period_end_date::TIMESTAMP_MS AS BillingPeriodEnd,
    l.bill_billing_period_start_date::TIMESTAMP_MS AS BillingPeriodStart,
    NULL::VARCHAR AS CapacityReservationId,
    NULL::VARCHAR AS CapacityReservationStatus,
    CASE l.line_item_line_item_type WHEN 'Usage' THEN 'Usage' WHEN 'Tax' THEN 'Tax'
         WHEN 'Credit' THEN 'Credit' ELSE 'Adjustment' END AS ChargeCategory,
    NULL::VARCHAR AS ChargeClass,
    l.line_item_line_item_description AS ChargeDescription,
    CASE l.line_item_line_item_type WHEN 'Usage' THEN 'Usage-Based' ELSE 'One-Time' END
        AS ChargeFrequency,
    l.line_item_usage_end_date::TIMESTAMP_MS AS ChargePeriodEnd,
    l.line_item_usage_start_date::TIMESTAMP_MS AS ChargePeriodStart,
    NULL::VARCHAR AS CommitmentDiscountCategory,
    NULL::VARCHAR AS CommitmentDiscountId,
    NULL::VARCHAR AS CommitmentDiscountName,
    NULL::DOUBLE AS CommitmentDiscountQuantity,
    NULL::VARCHAR AS CommitmentDiscountStatus,
    NULL::VARCHAR AS CommitmentDiscountType,
    NULL::VARCHAR AS CommitmentDiscountUnit,
    CASE WHEN l.line_item_line_item_type = 'Usage' THEN l.line_item_usage_amount END
        AS ConsumedQuantity,
    CASE WHEN l.line_item_line_item_type <> 'Usage' THEN NULL
         WHEN l.pricing_unit = 'GB-Mo' THEN 'GB-Months' ELSE l.pricing_unit END AS ConsumedUnit,
    l.line_item_net_unblended_cost AS ContractedCost,
    CASE WHEN l.line_item_line_item_type = 'Usage'
         THEN TRY_CAST(l.line_item_net_unblended_rate AS DOUBLE) END AS ContractedUnitPrice,
    l.line_item_net_unblended_cost AS EffectiveCost,
    NULL::VARCHAR AS InvoiceId,
    'Amazon Web Services, Inc.' AS InvoiceIssuerName,
    l.pricing_public_on_demand_cost AS ListCost,
    TRY_CAST(nullif(l.pricing_public_on_demand_rate, '') AS DOUBLE) AS ListUnitPrice,
    CASE WHEN l.line_item_line_item_type = 'Usage' THEN 'Standard' END AS PricingCategory,
    'USD' AS PricingCurrency,
    TRY_CAST(nullif(l.line_item_net_unblended_rate, '') AS DOUBLE)
        AS PricingCurrencyContractedUnitPrice,
    l.line_item_net_unblended_cost AS PricingCurrencyEffectiveCost,
    TRY_CAST(nullif(l.pricing_public_on_demand_rate, '') AS DOUBLE)
        AS PricingCurrencyListUnitPrice,
    CASE WHEN l.line_item_line_item_type = 'Usage' THEN l.line_item_usage_amount END
        AS PricingQuantity,
    CASE WHEN l.line_item_line_item_type <> 'Usage' THEN NULL
         WHEN l.pricing_unit = 'GB-Mo' THEN 'GB-Months' ELSE l.pricing_unit END AS PricingUnit,
    'AWS' AS ProviderName,
    'AWS' AS PublisherName,
    nullif(l.product_region_code, '') AS RegionId,
    nullif(l.product_location, '') AS RegionName,
    nullif(l.line_item_resource_id, '') AS ResourceId,
    CASE WHEN l.line_item_product_code = 'AmazonECR' AND l.line_item_resource_id <> ''
         THEN regexp_extract(l.line_item_resource_id, 'repository/(.*)$', 1) END AS ResourceName,
    CASE WHEN l.line_item_product_code = 'AmazonECR' AND l.line_item_resource_id <> ''
         THEN 'Repository' END AS ResourceType,
    CASE l.line_item_product_code WHEN 'AmazonECR' THEN 'Compute' WHEN 'AmazonEC2' THEN 'Compute'
         WHEN 'AmazonS3' THEN 'Storage' WHEN 'AmazonRDS' THEN 'Databases'
         ELSE 'Management and Governance' END AS ServiceCategory,
    l.product_servicename AS ServiceName,
    CASE l.line_item_product_code WHEN 'AmazonECR' THEN 'Containers' END AS ServiceSubcategory,
    nullif(l.product_sku, '') AS SkuId,
    nullif(l.line_item_usage_type, '') AS SkuMeter,
    NULL::VARCHAR AS SkuPriceDetails,
    nullif(l.pricing_rate_code, '') AS SkuPriceId,
    l.line_item_usage_account_id AS SubAccountId,
    l.usage_account_name AS SubAccountName,
    coalesce(l.focus_tags, MAP {}::MAP(VARCHAR, VARCHAR)) AS Tags,
    CASE WHEN l.line_item_line_item_type = 'Usage'
         THEN MAP {'edp_discount': l.line_item_net_unblended_cost - l.line_item_unblended_cost}
         ELSE MAP {}::MAP(VARCHAR, DOUBLE) END AS x_Discounts,
    nullif(l.line_item_operation, '') AS x_Operation,
    l.line_item_product_code AS x_ServiceCode
FROM period_bill l
