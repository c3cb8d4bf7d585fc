-- The one way the marts, `costs` and the report add up money stored as DOUBLE: exact_decimal_sum,
-- DECIMAL(38,12), exact integer arithmetic, so a re-run gives the same total to the last digit
-- whatever order DuckDB's threads add in (a parallel DOUBLE sum does not; docs/report.md,
-- "Deterministic money"). Each value is rounded to 1e-12 first.
CREATE OR REPLACE MACRO exact_sum(x) AS CAST(exact_decimal_sum(x) AS DOUBLE)
