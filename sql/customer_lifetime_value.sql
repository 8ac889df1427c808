-- name: customer_lifetime_value
-- version: 3
-- description: >
--   What is each customer worth from here on? One row per known customer:
--   their purchase history as the models see it (frequency: repeat
--   purchase days; recency and t: days from the first purchase to the last
--   one and to the end of observation; monetary_value: mean spend of a
--   repeat purchase day), the probability that they are still an active
--   customer (p_alive), the purchases expected in the next `horizon_days`,
--   the expected spend per purchase, and clv: the expected revenue of the
--   next `clv_months` months, discounted by `discount_rate` a month, with
--   their RFM segment.
-- key: [customer_id]
-- chart: {kind: bar, x: customer_id, y: clv, top: 15, title: Customers by expected value over the next months}
-- params:
--   horizon_days: {type: int, default: 90, description: "days ahead that expected_purchases counts"}
--   clv_months: {type: int, default: 12, description: "months of 30 days that clv sums"}
--   discount_rate: {type: float, default: 0.01, description: "monthly discount rate of clv"}

with model as (
    -- clv = expected_avg_order_value x sum over months i = 1..clv_months of
    -- (E[purchases in 30i days] - E[purchases in 30(i-1) days]) / (1 + rate)^i.
    -- The spend per purchase does not depend on the month, so the sum runs
    -- over the expected purchases alone.
    select * from clv_model
),

predictions as (
    select
        customers.customer_id,
        customers.frequency,
        customers.recency,
        customers.t,
        customers.monetary_value,
        bgnbd_p_alive(
            model.r, model.alpha, model.a, model.b, customers.frequency, customers.recency, customers.t
        ) as p_alive,
        bgnbd_expected_purchases(
            model.r, model.alpha, model.a, model.b, customers.frequency, customers.recency, customers.t,
            $horizon_days
        ) as expected_purchases,
        gamma_gamma_expected_value(
            model.p, model.q, model.v, customers.frequency, customers.monetary_value
        ) as expected_avg_order_value
    from customer_purchase_summary as customers
    cross join model
),

months as (
    -- At least one month, so no stage of the run is empty: a month beyond
    -- clv_months (clv_months 0) counts nothing in discounted_purchases.
    select unnest(range(1, greatest(cast($clv_months as bigint), 1) + 1)) as month
),

monthly_purchases as (
    select
        customers.customer_id,
        months.month,
        bgnbd_expected_purchases(
            model.r, model.alpha, model.a, model.b, customers.frequency, customers.recency, customers.t,
            30 * months.month
        ) - bgnbd_expected_purchases(
            model.r, model.alpha, model.a, model.b, customers.frequency, customers.recency, customers.t,
            30 * (months.month - 1)
        ) as purchases
    -- The months first: the engine holds a cross join's first side and
    -- streams the second past it in batches. With the customers first each
    -- batch was one customer's months, and the functions ran on 61 K
    -- batches of 12 rows (10M lines: the insight 3.5 -> 1.3 s).
    from months
    cross join customer_purchase_summary as customers
    cross join model
),

-- Each month's discounted purchases are rounded to 15 decimals and summed
-- as a decimal: a sum of doubles depends on the order a customer's months
-- meet in, and the same input must give the same clv bit for bit.
discounted_purchases as (
    select
        customer_id,
        cast(sum(
            case
                when month <= $clv_months then cast(purchases / power(1.0 + $discount_rate, month) as decimal(38, 15))
                else 0
            end
        ) as double) as purchases
    from monthly_purchases
    group by customer_id
),

final as (
    select
        predictions.customer_id,
        predictions.frequency,
        predictions.recency,
        predictions.t,
        predictions.monetary_value,
        predictions.p_alive,
        predictions.expected_purchases,
        predictions.expected_avg_order_value,
        predictions.expected_avg_order_value * discounted_purchases.purchases as clv,
        customer_rfm.segment
    from predictions
    inner join discounted_purchases on predictions.customer_id = discounted_purchases.customer_id
    left join customer_rfm on predictions.customer_id = customer_rfm.customer_id
)

select * from final
