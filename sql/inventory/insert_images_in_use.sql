-- `staged`: this snapshot's images in use, an Arrow table built by pipelines/inventory/store.py.
INSERT INTO ecr_images_in_use BY NAME
SELECT $snapshot_id AS snapshot_id, $taken_at AS taken_at, * FROM staged
