-- Audit: which raw tag keys (as the bill or the inventory spelled them) became which key.
CREATE TABLE IF NOT EXISTS tag_key_folding (
    billing_period  VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,  -- billing format, or inventory
    raw_key         VARCHAR NOT NULL,
    canonical_key   VARCHAR NOT NULL,
    rule            VARCHAR NOT NULL,  -- none | prefix | case | alias
    line_count      BIGINT NOT NULL,   -- bill lines (inventory: repositories) carrying the key
    cost            DOUBLE NOT NULL    -- net spend of those lines (inventory: 0)
)
