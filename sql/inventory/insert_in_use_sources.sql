-- `staged`: how this snapshot read each in-use source, built by pipelines/inventory/store.py.
INSERT INTO ecr_in_use_sources BY NAME
SELECT $snapshot_id AS snapshot_id, $taken_at AS taken_at, * FROM staged
