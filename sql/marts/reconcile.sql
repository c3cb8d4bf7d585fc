-- Attributed + unattributed from the marts, and the period's total in cur_ecr_lines, summed
-- exactly (macro exact_sum).
SELECT
    (SELECT coalesce(exact_sum(net_cost), 0) FROM repository_costs WHERE billing_period = $period)
    + (SELECT coalesce(exact_sum(cost), 0) FROM unattributed_costs WHERE billing_period = $period),
    (SELECT coalesce(exact_sum(unblended_cost), 0) FROM cur_ecr_lines WHERE billing_period = $period)
