-- Per chargeback tag key: total, tagged, untagged and unattributed spend, and coverage.
SELECT tag_key, total_cost, tagged_cost, untagged_cost, unattributed_cost,
    (untagged_cost + unattributed_cost) / nullif(total_cost, 0) AS untagged_share,
    coverage, tagged_repositories, repositories, tags_source
FROM tag_coverage
WHERE billing_period = $period
ORDER BY tag_key
