-- realized_savings.placebo_repositories, added with the intervals (a warehouse made before keeps working;
-- the next report recomputes its rows).
ALTER TABLE realized_savings ADD COLUMN IF NOT EXISTS placebo_repositories INTEGER
