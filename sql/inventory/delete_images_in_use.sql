-- Reloading the same snapshot replaces its images in use instead of doubling them.
DELETE FROM ecr_images_in_use WHERE snapshot_id = $snapshot_id
