-- Truth: the tag values each repository carries in the bill per month (activated keys only).
SELECT t.billing_period, r.account_id, r.region, r.name AS repository_name, t.raw_key, t.value
FROM repo_tags t
JOIN repos r USING (repo_id)
ORDER BY t.billing_period, r.account_id, r.region, r.name, t.raw_key
