-- Spend per canonical tag key and value. `untagged`: repository spend without the key.
-- Spend with neither a repository nor the key is the key's unattributed_cost in tag_coverage.
CREATE TABLE IF NOT EXISTS tag_chargeback (
    billing_period      VARCHAR NOT NULL,
    tag_key             VARCHAR NOT NULL,
    tag_value           VARCHAR NOT NULL,
    gross_cost          DOUBLE NOT NULL,
    credits             DOUBLE NOT NULL,
    discounts           DOUBLE NOT NULL,
    tax                 DOUBLE NOT NULL,
    other_adjustments   DOUBLE NOT NULL,
    net_cost            DOUBLE NOT NULL,
    share               DOUBLE,             -- gross_cost / the period's gross usage
    repository_count    BIGINT NOT NULL,    -- repositories known to carry the value
    bill_tag_cost       DOUBLE NOT NULL,    -- part of net_cost whose value came from the bill
    inventory_tag_cost  DOUBLE NOT NULL,    -- ... from today's repository tags (opt-in)
    estimated_cost      DOUBLE NOT NULL,    -- part resting on the bytes split (inventory tags)
    redistributed_cost  DOUBLE NOT NULL,    -- untagged spread over values by gross share
    redistributed_share DOUBLE,
    tags_source         VARCHAR NOT NULL    -- bill | bill+inventory
)
