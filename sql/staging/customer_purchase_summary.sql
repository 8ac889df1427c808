-- name: customer_purchase_summary
-- version: 1
-- description: >
--   What the lifetime-value models know of each known customer at the end
--   of observation (the latest invoice date of all transactions):
--   frequency (repeat purchase days: purchase days - 1), recency (days from
--   the first to the last purchase day), t (days from the first purchase
--   day to the end of observation) and monetary_value (the mean revenue of
--   the repeat purchase days; 0 without any).

with observation as (
    select max(invoice_date) as observation_end
    from transaction_lines
),

numbered_days as (
    select
        customer_id,
        purchase_day,
        revenue,
        row_number() over (partition by customer_id order by purchase_day) as day_number
    from customer_purchase_days
),

summary as (
    select
        customer_id,
        count(*) - 1 as frequency,
        cast(max(purchase_day) - min(purchase_day) as bigint) as recency,
        cast(observation.observation_end - min(purchase_day) as bigint) as t,
        -- An exact decimal sum and one division: the same value whatever
        -- order the days are summed in.
        coalesce(
            cast(sum(case when day_number > 1 then revenue end) as double) / cast(nullif(count(*) - 1, 0) as double),
            0.0
        ) as monetary_value
    from numbered_days
    cross join observation
    group by customer_id, observation.observation_end
)

select * from summary
