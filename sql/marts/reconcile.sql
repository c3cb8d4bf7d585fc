-- Attributed + unattributed from the marts, and the period's total in cur_ecr_lines; summed as
-- DECIMAL, the same to the last digit on every run (sql/marts/attr_lines.sql).
SELECT
    CAST((SELECT coalesce(sum(CAST(net_cost AS DECIMAL(38, 12))), 0)
        FROM repository_costs WHERE billing_period = $period)
    + (SELECT coalesce(sum(CAST(cost AS DECIMAL(38, 12))), 0)
        FROM unattributed_costs WHERE billing_period = $period) AS DOUBLE),
    (SELECT CAST(coalesce(sum(CAST(unblended_cost AS DECIMAL(38, 12))), 0) AS DOUBLE)
        FROM cur_ecr_lines WHERE billing_period = $period)
