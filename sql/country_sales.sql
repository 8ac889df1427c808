-- name: country_sales
-- version: 2
-- description: >
--   Where do the customers buy from? One row per country: revenue, orders,
--   distinct customers, units, average order value, revenue share and rank
--   (ties by country name).
-- key: [country]
-- chart: {kind: map, x: country, y: revenue, top: 10, title: Revenue by country}

with by_country as (
    select
        country,
        sum(revenue) as revenue,
        count(distinct invoice_no) as orders,
        count(distinct customer_id) as customers,
        sum(units) as units
    from order_totals
    group by country
),

final as (
    select
        country,
        revenue,
        orders,
        customers,
        units,
        cast(revenue as double) / cast(orders as double) as aov,
        cast(revenue as double) / cast(sum(revenue) over () as double) as revenue_share,
        row_number() over (order by revenue desc, country asc) as revenue_rank
    from by_country
)

select * from final
