-- realized_savings.days_to_decide, added with the intervals (a warehouse made before keeps working;
-- the next report recomputes its rows).
ALTER TABLE realized_savings ADD COLUMN IF NOT EXISTS days_to_decide INTEGER
