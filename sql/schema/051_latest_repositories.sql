-- The repositories of the newest inventory snapshot.
CREATE OR REPLACE VIEW latest_repositories AS
SELECT r.*
FROM ecr_repositories AS r
JOIN latest_snapshot USING (snapshot_id)
