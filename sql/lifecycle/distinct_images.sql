-- How many distinct images one snapshot holds: the loader (lifecycle/model.load_images) asks
-- only when two of its rows share a 64-bit image_key, to tell a repeated row from a collision.
SELECT count(DISTINCT (account_id, region, repository_name, image_digest)) AS images
FROM ecr_images
WHERE snapshot_id = $snapshot_id;
