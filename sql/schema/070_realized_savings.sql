-- Predicted against realized savings per action, judged for one report period (replaced whole).
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
    before_daily_cost     DOUBLE,             -- storage + archive storage, gross usage
    after_daily_cost      DOUBLE,
    baseline_change       DOUBLE,             -- untouched repositories' relative daily change
    baseline_repositories INTEGER NOT NULL,
    daily_saving          DOUBLE,             -- before x (1 + baseline_change) - after
    days_in_month         INTEGER NOT NULL,
    predicted_monthly_savings_usd DOUBLE,
    realized_monthly_savings_usd  DOUBLE,     -- daily_saving x days_in_month
    realized_ratio        DOUBLE,             -- realized / predicted (NULL: no positive prediction)
    verdict               VARCHAR NOT NULL,   -- realized | partly | not_realized | too_early
    reason                VARCHAR NOT NULL,
    computed_at           TIMESTAMP NOT NULL
)
