-- The headline's realized savings of a report period, from the actions it judged (the table
-- realized_savings; too-early verdicts have no figure yet). Each action saves its daily saving
-- (net of the untouched repositories' trend) on every day from its effective day: this period
-- counts the period's days, the last 12 months the days from $window_start to the period's end.
-- Annualized is the judged monthly savings times 12.
SELECT
    count(*) AS actions,
    coalesce(sum(daily_saving * greatest(0, date_diff('day',
        greatest(effective_day, $period_start), $period_end) + 1)), 0) AS this_period,
    coalesce(sum(daily_saving * greatest(0, date_diff('day',
        greatest(effective_day, $window_start), $period_end) + 1)), 0) AS last_12_months,
    coalesce(sum(realized_monthly_savings_usd) * 12, 0) AS annualized
FROM realized_savings
WHERE billing_period = $period AND verdict <> 'too_early' AND daily_saving IS NOT NULL
