-- realized_savings.realized_high_usd, added with the intervals (a warehouse made before keeps working;
-- the next report recomputes its rows).
ALTER TABLE realized_savings ADD COLUMN IF NOT EXISTS realized_high_usd DOUBLE
