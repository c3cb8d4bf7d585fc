-- Biggest changes in repository net cost against the comparison period (new and gone too).
WITH cur AS (
    SELECT account_id, region, repository_name, net_cost
    FROM repository_costs WHERE billing_period = $period
),
prev AS (
    SELECT account_id, region, repository_name, net_cost
    FROM repository_costs WHERE billing_period = $compare
)
SELECT
    coalesce(c.account_id, p.account_id) AS account_id,
    coalesce(c.region, p.region) AS region,
    coalesce(c.repository_name, p.repository_name) AS repository_name,
    coalesce(p.net_cost, 0) AS compare_cost,
    coalesce(c.net_cost, 0) AS cost,
    coalesce(c.net_cost, 0) - coalesce(p.net_cost, 0) AS change,
    (coalesce(c.net_cost, 0) - p.net_cost) / nullif(p.net_cost, 0) AS change_ratio,
    CASE WHEN p.net_cost IS NULL THEN 'new' WHEN c.net_cost IS NULL THEN 'gone'
        ELSE 'changed' END AS status
FROM cur AS c
FULL OUTER JOIN prev AS p
    ON p.account_id = c.account_id AND p.region = c.region
    AND p.repository_name = c.repository_name
WHERE coalesce(c.net_cost, 0) <> coalesce(p.net_cost, 0)
ORDER BY abs(change) DESC, account_id, region, repository_name
LIMIT $top
