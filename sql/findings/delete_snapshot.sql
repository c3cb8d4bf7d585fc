-- A snapshot's findings go as a whole before they are rebuilt.
DELETE FROM findings WHERE snapshot_id = $snapshot_id
