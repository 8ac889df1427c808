-- name: top_customers
-- version: 1
-- description: >
--   Who are the best customers? The first `limit` customers by revenue
--   (monetary, descending; ties by customer_id) with country, orders,
--   average order value, first and last purchase, RFM segment and their share
--   of all customers' revenue.
-- key: [customer_id]
-- chart: {kind: bar, x: customer_id, y: monetary, top: 15, title: Top customers by revenue}
-- params:
--   limit: {type: int, default: 100, description: how many customers to list}

with ranked_customers as (
    select
        row_number() over (order by monetary desc, customer_id asc) as rank,
        customer_id,
        country,
        monetary,
        frequency,
        cast(monetary as double) / cast(frequency as double) as aov,
        first_purchase,
        last_purchase,
        segment,
        cast(monetary as double) / cast(sum(monetary) over () as double) as revenue_share
    from customer_rfm
)

select *
from ranked_customers
where rank <= $limit
