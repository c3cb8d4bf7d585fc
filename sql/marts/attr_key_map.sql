-- The folding decided in Python (pipelines/attribution/folding.py), one row per raw key,
-- from the relation `staged` (sqlfiles.insert_staged).
CREATE OR REPLACE TEMP TABLE attr_key_map AS
SELECT
    source::VARCHAR AS source,
    raw_key::VARCHAR AS raw_key,
    canonical_key::VARCHAR AS canonical_key,
    rule::VARCHAR AS rule
FROM staged
