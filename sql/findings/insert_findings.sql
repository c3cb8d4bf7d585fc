-- Every finding of one build, from the staged columns (sqlfiles.insert_staged).
INSERT INTO findings BY NAME
SELECT
    $snapshot_id AS snapshot_id,
    $taken_at::TIMESTAMP AS taken_at,
    $built_at::TIMESTAMP AS built_at,
    kind,
    rank::INTEGER AS rank,
    account_id::VARCHAR AS account_id,
    region::VARCHAR AS region,
    repository_name::VARCHAR AS repository_name,
    subject::VARCHAR AS subject,
    detail,
    bytes::BIGINT AS bytes,
    monthly_cost_usd::DOUBLE AS monthly_cost_usd,
    estimated::BOOLEAN AS estimated,
    image_count::BIGINT AS image_count,
    repository_count::BIGINT AS repository_count,
    repositories::VARCHAR[] AS repositories,
    facts
FROM staged
