-- The folding decided in Python (pipelines/attribution/folding.py), one row per raw key.
CREATE OR REPLACE TEMP TABLE attr_key_map AS
SELECT
    unnest($sources::VARCHAR[]) AS source,
    unnest($raw_keys::VARCHAR[]) AS raw_key,
    unnest($canonical_keys::VARCHAR[]) AS canonical_key,
    unnest($rules::VARCHAR[]) AS rule
