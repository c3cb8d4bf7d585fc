-- True when the period's cur_ecr_line_groups do not match its cur_ecr_lines (groups never
-- written: a warehouse loaded before they existed, or lines written outside ingestion): other
-- row counts, or totals apart by more than summation order explains.
WITH lines AS (
    SELECT count(*) AS n, coalesce(sum(unblended_cost), 0) AS cost
    FROM cur_ecr_lines
    WHERE billing_period = $period
),
line_groups AS (
    SELECT coalesce(sum(line_count), 0) AS n, coalesce(sum(cost), 0) AS cost
    FROM cur_ecr_line_groups
    WHERE billing_period = $period
)
SELECT l.n <> g.n OR abs(l.cost - g.cost) > 1e-9 * greatest(abs(l.cost), abs(g.cost), 1)
FROM lines AS l, line_groups AS g
