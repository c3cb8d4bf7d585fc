-- `staged`: how each account of this snapshot was read, built by pipelines/inventory/store.py.
INSERT INTO ecr_snapshot_access BY NAME
SELECT $snapshot_id AS snapshot_id, $taken_at AS taken_at, * FROM staged
