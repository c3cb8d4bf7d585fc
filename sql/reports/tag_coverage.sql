-- Per chargeback tag key: total, tagged, untagged and unattributed spend, and coverage.
-- The untagged share is of gross usage, as coverage and the per-value shares are (so coverage +
-- untagged share = 100%, and the untagged row of "spend per tag value" shows the same share).
SELECT tag_key, total_cost, tagged_cost, untagged_cost, unattributed_cost,
    (gross_cost - tagged_gross_cost) / nullif(gross_cost, 0) AS untagged_share,
    coverage, tagged_repositories, repositories, tags_source
FROM tag_coverage
WHERE billing_period = $period
ORDER BY tag_key
