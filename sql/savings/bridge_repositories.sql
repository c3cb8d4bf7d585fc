-- Every repository billed in the period or the one before (repository_costs, the marts), with
-- its gross usage and its adjustments (credits, discounts, tax, other: net - gross) in each,
-- exactly as DECIMAL(38,12); NULL where it was not billed. The bridge (savings/bridge.py)
-- sorts them into untouched, touched, new and deleted.
WITH cur AS (
    SELECT account_id, region, repository_name,
        CAST(gross_cost AS DECIMAL(38, 12)) AS gross,
        CAST(net_cost AS DECIMAL(38, 12)) - CAST(gross_cost AS DECIMAL(38, 12)) AS adjustments
    FROM repository_costs
    WHERE billing_period = $period
),
prior AS (
    SELECT account_id, region, repository_name,
        CAST(gross_cost AS DECIMAL(38, 12)) AS gross,
        CAST(net_cost AS DECIMAL(38, 12)) - CAST(gross_cost AS DECIMAL(38, 12)) AS adjustments
    FROM repository_costs
    WHERE billing_period = $prior
)
SELECT account_id, region, repository_name,
    c.gross AS gross, c.adjustments AS adjustments,
    p.gross AS prior_gross, p.adjustments AS prior_adjustments
FROM cur AS c
FULL OUTER JOIN prior AS p USING (account_id, region, repository_name)
ORDER BY account_id, region, repository_name
