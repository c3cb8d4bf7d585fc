SELECT source, raw_key, rule, line_count, cost
FROM tag_key_folding
WHERE billing_period = $period AND canonical_key = $tag_key
ORDER BY source, raw_key
