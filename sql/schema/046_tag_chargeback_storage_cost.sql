-- tag_chargeback per value: gross storage usage, added after the table's first version (a warehouse
-- created before keeps working; MART_VERSION 4 rebuilds its periods, filling the column).
ALTER TABLE tag_chargeback ADD COLUMN IF NOT EXISTS storage_cost DOUBLE
