-- The windows of the actions to compare, one row per action, from the relation `staged`
-- (sqlfiles.insert_staged): the own trend's history, the before and the after window;
-- window_daily_costs reads them.
CREATE OR REPLACE TEMP TABLE savings_windows AS
SELECT
    action_id::VARCHAR AS action_id,
    account_id::VARCHAR AS account_id,
    region::VARCHAR AS region,
    repository_name::VARCHAR AS repository_name,
    history_start::DATE AS history_start,
    before_start::DATE AS before_start,
    before_end::DATE AS before_end,
    after_start::DATE AS after_start,
    after_end::DATE AS after_end
FROM staged
