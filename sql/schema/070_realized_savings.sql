-- Predicted against realized savings per action, judged for one report period (replaced whole).
-- Money is DECIMAL(38,12): summed exactly from the bill, the same to the last digit on a
-- re-run (docs/realized-savings.md). The interval bounds are statistics (DOUBLE).
-- A warehouse made before the interval columns gets them from 072-077.
CREATE TABLE IF NOT EXISTS realized_savings (
    billing_period        VARCHAR NOT NULL,   -- the report period that judged the action
    action_id             VARCHAR NOT NULL,
    action                VARCHAR NOT NULL,   -- policy_applied | policy_restored | repository_deleted
    acted_at              TIMESTAMP NOT NULL,
    account_id            VARCHAR,
    region                VARCHAR,
    repository_name       VARCHAR NOT NULL,
    effective_day         DATE NOT NULL,      -- acted day + 2: AWS acts within 24 hours
    window_days           INTEGER NOT NULL,   -- comparable days on each side (0: none)
    before_start          DATE,
    before_end            DATE,
    after_start           DATE,
    after_end             DATE,
    before_daily_cost     DECIMAL(38, 12),    -- storage + archive storage, gross usage
    after_daily_cost      DECIMAL(38, 12),
    baseline_change       DOUBLE,             -- counterfactual / before - 1
    baseline_repositories INTEGER NOT NULL,
    daily_saving          DECIMAL(38, 12),    -- counterfactual - after, per day
    days_in_month         INTEGER NOT NULL,
    predicted_monthly_savings_usd DOUBLE,
    realized_monthly_savings_usd  DECIMAL(38, 12), -- daily_saving x days_in_month
    realized_ratio        DOUBLE,             -- realized / predicted (NULL: no positive prediction)
    verdict               VARCHAR NOT NULL,   -- realized | partly | not_realized | too_early
    reason                VARCHAR NOT NULL,
    computed_at           TIMESTAMP NOT NULL,
    history_days          INTEGER,            -- days the own trend was fitted on (0: not used)
    method                VARCHAR,            -- untouched | own_trend
    realized_low_usd      DOUBLE,             -- 90% interval of the monthly saving
    realized_high_usd     DOUBLE,
    placebo_repositories  INTEGER,            -- untouched repositories the interval rests on
    days_to_decide        INTEGER             -- too early: days each side that would decide it
)
