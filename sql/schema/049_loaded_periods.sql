-- The one definition of a loaded billing period (the marts, `costs` and the report use it): a
-- billing load is recorded for it, even one with no ECR line ($0 of ECR spend is loaded, not
-- missing), or cur_ecr_lines holds lines of it (written outside ingestion).
CREATE OR REPLACE VIEW loaded_periods AS
SELECT billing_period FROM billing_loads
UNION
SELECT DISTINCT billing_period FROM cur_ecr_lines
