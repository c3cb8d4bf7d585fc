-- One row per billing period whose attribution marts were built: when, from what, how.
CREATE TABLE IF NOT EXISTS mart_builds (
    billing_period      VARCHAR PRIMARY KEY,  -- YYYY-MM
    built_at            TIMESTAMP NOT NULL,   -- UTC
    load_loaded_at      TIMESTAMP,            -- billing_loads.loaded_at used; NULL: no load row
    snapshot_id         VARCHAR,              -- inventory snapshot used; NULL: none
    tags_source         VARCHAR NOT NULL,     -- bill | bill+inventory
    estimated           BOOLEAN NOT NULL,     -- no resource ids: storage split by billed bytes
    settings_key        VARCHAR NOT NULL,     -- tag keys, aliases, case rule, prices used
    line_count          BIGINT NOT NULL,
    total_cost          DOUBLE NOT NULL,      -- sum of unblended cost in cur_ecr_lines
    attributed_cost     DOUBLE NOT NULL,      -- repository_costs.net_cost summed
    unattributed_cost   DOUBLE NOT NULL       -- unattributed_costs.cost summed
)
