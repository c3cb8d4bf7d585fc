CREATE TABLE IF NOT EXISTS tag_coverage (
    billing_period        VARCHAR NOT NULL,
    tag_key               VARCHAR NOT NULL,
    total_cost            DOUBLE NOT NULL,  -- net, the whole period
    tagged_cost           DOUBLE NOT NULL,  -- net spend carrying the key
    untagged_cost         DOUBLE NOT NULL,  -- net repository spend without the key
    unattributed_cost     DOUBLE NOT NULL,  -- net spend with neither repository nor key
    gross_cost            DOUBLE NOT NULL,
    tagged_gross_cost     DOUBLE NOT NULL,
    coverage              DOUBLE,           -- tagged_gross_cost / gross_cost
    tagged_repositories   BIGINT NOT NULL,
    repositories          BIGINT NOT NULL,
    tags_source           VARCHAR NOT NULL
)
