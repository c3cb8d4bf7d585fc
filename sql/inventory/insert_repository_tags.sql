-- `staged`: this snapshot's rows, an Arrow table built by pipelines/inventory/store.py.
INSERT INTO ecr_repository_tags BY NAME
SELECT $snapshot_id AS snapshot_id, $taken_at AS taken_at, * FROM staged
