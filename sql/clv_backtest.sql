-- name: clv_backtest
-- version: 2
-- description: >
--   Does the purchase model predict? The model is fitted again as if the
--   last `holdout_days` days had not happened yet, predicts how many
--   purchase days each customer has in them, and the prediction is set
--   against what the customers actually did. One row per number of repeat
--   purchase days before the holdout (7 means seven or more): customers,
--   and their mean actual and predicted purchase days in the holdout.
-- key: [frequency_cal]
-- chart: {kind: line, x: frequency_cal, y: [actual_purchases, predicted_purchases], title: "Holdout purchase days per customer, actual and predicted"}
-- params:
--   holdout_days: {type: int, default: 180, description: "days at the end of observation held out of the fit"}

with calibration_end as (
    -- The calibration summary is customer_purchase_summary's, cut at the
    -- calibration end (days as integers, so the cut is plain arithmetic).
    select cast(max(invoice_date) as int) - cast($holdout_days as int) as day
    from transaction_lines
),

days as (
    select customer_id, cast(purchase_day as int) as day
    from customer_purchase_days
),

calibration as (
    select
        days.customer_id,
        count(*) - 1 as frequency,
        max(days.day) - min(days.day) as recency,
        calibration_end.day - min(days.day) as t
    from days
    cross join calibration_end
    where days.day <= calibration_end.day
    group by days.customer_id, calibration_end.day
),

holdout as (
    select days.customer_id, count(*) as purchases
    from days
    cross join calibration_end
    where days.day > calibration_end.day
    group by days.customer_id
),

model as (
    select bgnbd_fit(frequency, recency, t) as fitted
    from calibration
),

predictions as (
    select
        least(calibration.frequency, 7) as frequency_cal,
        coalesce(holdout.purchases, 0) as actual,
        bgnbd_expected_purchases(
            model.fitted['r'], model.fitted['alpha'], model.fitted['a'], model.fitted['b'],
            calibration.frequency, calibration.recency, calibration.t, $holdout_days
        ) as predicted
    from calibration
    cross join model
    left join holdout on calibration.customer_id = holdout.customer_id
),

-- Means as exact sums divided once: a sum of doubles depends on the order
-- the customers meet in, so each prediction is rounded to 15 decimals and
-- summed as a decimal, and the same input gives the same table bit for bit.
final as (
    select
        frequency_cal,
        count(*) as customers,
        cast(sum(actual) as double) / cast(count(*) as double) as actual_purchases,
        cast(sum(cast(predicted as decimal(38, 15))) as double) / cast(count(*) as double) as predicted_purchases
    from predictions
    group by frequency_cal
)

select * from final
