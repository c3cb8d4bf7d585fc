INSERT INTO tag_chargeback
WITH valued AS (
    -- Rows with neither the key nor a repository are the key's unattributed spend.
    SELECT *, coalesce(tag_value, 'untagged') AS value,
        CASE WHEN charge_class = 'usage' THEN usage_category END AS gross_category
    FROM attr_tag_rows
    WHERE tag_value IS NOT NULL OR repository_name IS NOT NULL
),
per_value AS (
    SELECT tag_key, value,
        unnest(spend_split(cost, charge_class)),  -- gross, adjustments, net
        -- Gross usage per category, as repository_costs splits it (data transfer beside
        -- storage: cross-region pulls and replication are ECR spend too).
        coalesce(sum(CASE gross_category WHEN 'storage' THEN cost END), 0) AS storage_cost,
        coalesce(sum(CASE gross_category WHEN 'archive_storage' THEN cost END), 0)
            AS archive_storage_cost,
        coalesce(sum(CASE gross_category WHEN 'data_transfer' THEN cost END), 0)
            AS data_transfer_cost,
        -- A bill-tagged line split by bytes says nothing about which repositories carry the
        -- tag: only repositories known to carry it (billed, or tagged in the inventory) count.
        count(DISTINCT [account_id, region, repository_name]) FILTER (
            WHERE repository_name IS NOT NULL AND (NOT estimated OR tag_source = 'inventory'))
            AS repository_count,
        coalesce(sum(cost) FILTER (WHERE tag_source = 'bill'), 0) AS bill_tag_cost,
        coalesce(sum(cost) FILTER (WHERE tag_source = 'inventory'), 0) AS inventory_tag_cost,
        -- A bill tag's cost is exact even when split; inventory tags on split pieces are not.
        coalesce(sum(cost) FILTER (WHERE estimated AND tag_source = 'inventory'), 0)
            AS estimated_cost
    FROM valued
    GROUP BY tag_key, value
),
keyed AS (
    SELECT *,
        sum(CASE WHEN value = 'untagged' THEN net_cost ELSE 0 END)
            OVER (PARTITION BY tag_key) AS untagged_net,
        sum(CASE WHEN value = 'untagged' THEN 0 ELSE gross_cost END)
            OVER (PARTITION BY tag_key) AS tagged_gross,
        sum(net_cost) OVER (PARTITION BY tag_key) AS key_net
    FROM per_value
),
redistributed AS (
    -- Untagged spend spread over the values in proportion to their gross usage.
    SELECT *,
        CASE
            WHEN tagged_gross = 0 THEN net_cost
            WHEN value = 'untagged' THEN 0
            ELSE net_cost + CAST(untagged_net AS DOUBLE) * CAST(gross_cost AS DOUBLE)
                / CAST(tagged_gross AS DOUBLE)
        END AS redistributed_cost
    FROM keyed
)
SELECT $period, tag_key, value, gross_cost, credits, discounts, tax, other_adjustments,
    net_cost,
    gross_cost / nullif((
        SELECT sum(cost) FILTER (WHERE charge_class = 'usage') FROM attr_alloc), 0),
    repository_count, bill_tag_cost, inventory_tag_cost, estimated_cost,
    redistributed_cost, redistributed_cost / nullif(key_net, 0),
    $tags_source, storage_cost, archive_storage_cost, data_transfer_cost
FROM redistributed
