-- cur_ecr_lines collapsed per period, repository, usage category, charge class and tag set: the
-- attribution marts' input (sql/marts/attr_lines.sql), a few rows per repository instead of
-- hourly ones. Written by billing ingestion from the period's cur_ecr_lines rows in the same
-- transaction that replaces them (sql/billing/insert_period_line_groups.sql), so the two agree.
CREATE TABLE IF NOT EXISTS cur_ecr_line_groups (
    billing_period   VARCHAR NOT NULL,       -- YYYY-MM
    account_id       VARCHAR NOT NULL,       -- usage account, else payer, else ''
    region           VARCHAR NOT NULL,       -- '' when the lines have none
    repository_name  VARCHAR,                -- NULL: the lines have no resource id
    usage_category   VARCHAR NOT NULL,       -- storage | archive_storage | data_transfer | other
    charge_class     VARCHAR NOT NULL,       -- usage | credit | discount | tax | other_adjustment
    source_format    VARCHAR NOT NULL,
    tags             MAP(VARCHAR, VARCHAR) NOT NULL, -- the lines' tag set, as billed
    cost             DOUBLE NOT NULL,        -- unblended cost summed
    usage_amount     DOUBLE NOT NULL,
    line_count       BIGINT NOT NULL         -- cur_ecr_lines rows in the group
)
