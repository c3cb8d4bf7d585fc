-- Every finding of one build in one statement: each parameter is a column, zipped by unnest.
INSERT INTO findings
SELECT
    $snapshot_id, $taken_at, $built_at,
    unnest($kind::VARCHAR[]),
    unnest($rank::INTEGER[]),
    unnest($account_id::VARCHAR[]),
    unnest($region::VARCHAR[]),
    unnest($repository_name::VARCHAR[]),
    unnest($subject::VARCHAR[]),
    unnest($detail::VARCHAR[]),
    unnest($bytes::BIGINT[]),
    unnest($monthly_cost_usd::DOUBLE[]),
    unnest($estimated::BOOLEAN[]),
    unnest($image_count::BIGINT[]),
    unnest($repository_count::BIGINT[]),
    unnest($repositories::VARCHAR[][]),
    unnest($facts::VARCHAR[])
