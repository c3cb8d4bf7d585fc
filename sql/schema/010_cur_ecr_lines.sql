-- The canonical ECR line items of every billing format, replaced a whole period at a time.
CREATE TABLE IF NOT EXISTS cur_ecr_lines (
    billing_period   VARCHAR NOT NULL,   -- YYYY-MM
    usage_start      TIMESTAMP NOT NULL, -- UTC
    usage_end        TIMESTAMP,
    payer_account_id VARCHAR,
    usage_account_id VARCHAR,
    region           VARCHAR,
    product_code     VARCHAR,            -- AmazonECR | AmazonECRPublic
    resource_id      VARCHAR,            -- repository ARN as billed, NULL when the export has none
    repository_name  VARCHAR,            -- parsed from resource_id
    usage_category   VARCHAR NOT NULL,   -- storage | archive_storage | data_transfer | other
    usage_type       VARCHAR,
    operation        VARCHAR,
    line_item_type   VARCHAR,            -- Usage, Credit, Tax, EdpDiscount, ...
    usage_amount     DOUBLE,
    unit             VARCHAR,
    unblended_cost   DOUBLE NOT NULL,    -- FOCUS: BilledCost
    net_cost         DOUBLE,             -- net unblended; FOCUS: EffectiveCost; NULL when absent
    tags             MAP(VARCHAR, VARCHAR), -- keys as the bill names them, empty values dropped
    source_format    VARCHAR NOT NULL,   -- cur-legacy-parquet | cur-legacy-csv | cur2 | focus
    source_file      VARCHAR NOT NULL
)
