-- Money summed exactly, as DECIMAL(38,12) (each value rounded to 1e-12 first): integer
-- arithmetic, so a re-run gives the same total to the last digit whatever order DuckDB's threads
-- add in. `exact_sum` is the same sum as DOUBLE, where a mart stores DOUBLE.
CREATE OR REPLACE MACRO exact_decimal_sum(x) AS sum(CAST(x AS DECIMAL(38, 12)))
