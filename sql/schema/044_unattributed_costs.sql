-- Spend the bill gives no repository for (tax, credits, bills without resource ids, ...).
CREATE TABLE IF NOT EXISTS unattributed_costs (
    billing_period  VARCHAR NOT NULL,
    account_id      VARCHAR NOT NULL,
    region          VARCHAR NOT NULL,
    charge_class    VARCHAR NOT NULL,  -- usage | credit | discount | tax | other_adjustment
    usage_category  VARCHAR NOT NULL,
    cost            DOUBLE NOT NULL,
    line_count      BIGINT NOT NULL
)
