SELECT tag_value AS key, net_cost AS cost, gross_cost, storage_cost, archive_storage_cost,
    data_transfer_cost, credits, discounts, tax,
    other_adjustments, share, repository_count, bill_tag_cost, inventory_tag_cost,
    estimated_cost, redistributed_cost, redistributed_share, tags_source
FROM tag_chargeback
WHERE billing_period = $period AND tag_key = $tag_key
ORDER BY net_cost DESC, key
