-- Billed ECR spend per repository and period (replaced a whole period at a time).
-- Usage-category columns are gross usage; adjustments (credits, discounts, tax) stand apart;
-- net_cost = gross_cost + credits + discounts + tax + other_adjustments.
CREATE TABLE IF NOT EXISTS repository_costs (
    billing_period        VARCHAR NOT NULL,
    account_id            VARCHAR NOT NULL,
    region                VARCHAR NOT NULL,
    repository_name       VARCHAR NOT NULL,
    storage_cost          DOUBLE NOT NULL,
    archive_storage_cost  DOUBLE NOT NULL,
    data_transfer_cost    DOUBLE NOT NULL,
    other_usage_cost      DOUBLE NOT NULL,
    gross_cost            DOUBLE NOT NULL,
    credits               DOUBLE NOT NULL,  -- Credit, Refund
    discounts             DOUBLE NOT NULL,  -- EdpDiscount, BundledDiscount, PrivateRateDiscount, ...
    tax                   DOUBLE NOT NULL,
    other_adjustments     DOUBLE NOT NULL,  -- Fee, Adjustment and types not recognised
    net_cost              DOUBLE NOT NULL,
    avg_gb_stored         DOUBLE NOT NULL,  -- storage GB-Mo summed over the period
    avg_gb_archived       DOUBLE NOT NULL,
    share                 DOUBLE,           -- gross_cost / the period's gross usage
    exists_in_inventory   BOOLEAN,          -- NULL: no snapshot covers the account and region
    snapshot_id           VARCHAR,
    billed_bytes          BIGINT,           -- inventory bytes (standard + archive)
    expected_basis        VARCHAR,          -- unique_blobs | image_sizes
    expected_monthly_cost DOUBLE,           -- billed bytes x the region's price
    bill_minus_expected   DOUBLE,           -- (storage + archive storage) - expected
    estimated             BOOLEAN NOT NULL  -- split from a bill without resource ids
)
