-- Spend per tag value of every chargeback key (untagged is a value of its own).
SELECT tag_key, tag_value, net_cost, gross_cost, storage_cost, archive_storage_cost,
    data_transfer_cost, share, repository_count,
    redistributed_cost, tags_source
FROM tag_chargeback
WHERE billing_period = $period
ORDER BY tag_key, net_cost DESC, tag_value
