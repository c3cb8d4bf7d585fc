-- Biggest changes in repository net cost against an earlier period (new and gone included).
WITH cur AS (
    SELECT account_id, region, repository_name, net_cost
    FROM repository_costs
    WHERE billing_period = $period
),
prev AS (
    SELECT account_id, region, repository_name, net_cost
    FROM repository_costs
    WHERE billing_period = $prior
),
joined AS (
    SELECT
        coalesce(c.account_id, p.account_id) AS account_id,
        coalesce(c.region, p.region) AS region,
        coalesce(c.repository_name, p.repository_name) AS repository_name,
        coalesce(p.net_cost, 0) AS prior_cost,
        coalesce(c.net_cost, 0) AS cost,
        coalesce(c.net_cost, 0) - coalesce(p.net_cost, 0) AS change,
        (coalesce(c.net_cost, 0) - p.net_cost) / nullif(p.net_cost, 0) AS change_ratio,
        CASE WHEN p.net_cost IS NULL THEN 'new' WHEN c.net_cost IS NULL THEN 'gone'
            ELSE 'changed' END AS status
    FROM cur AS c
    FULL OUTER JOIN prev AS p
        ON p.account_id = c.account_id AND p.region = c.region
        AND p.repository_name = c.repository_name
)
SELECT account_id || ':' || region || ':' || repository_name AS key, *
FROM joined
WHERE change <> 0
ORDER BY abs(change) DESC, account_id, region, repository_name
LIMIT $top
