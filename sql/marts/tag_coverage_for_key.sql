SELECT unattributed_cost, untagged_cost, coverage, tagged_repositories, repositories
FROM tag_coverage
WHERE billing_period = $period AND tag_key = $tag_key
