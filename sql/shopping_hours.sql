-- name: shopping_hours
-- version: 2
-- description: >
--   When do customers shop? One row per ISO weekday (1 = Monday) and hour of
--   the day (shop-local time) with sales: orders, revenue, units and the
--   share of all revenue.
-- key: [weekday, hour]
-- chart: {kind: heatmap, x: hour, y: weekday, label: weekday_name, value: revenue, title: Revenue by weekday and hour}

with timed_orders as (
    select
        cast((date_part('dow', invoice_ts) + 6) % 7 + 1 as int) as weekday,
        cast(date_part('hour', invoice_ts) as int) as hour,
        invoice_no,
        revenue,
        units
    from order_totals
),

by_hour as (
    select
        weekday,
        hour,
        count(distinct invoice_no) as orders,
        sum(revenue) as revenue,
        sum(units) as units
    from timed_orders
    group by weekday, hour
),

final as (
    select
        weekday,
        case weekday
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            when 6 then 'Saturday'
            else 'Sunday'
        end as weekday_name,
        hour,
        orders,
        revenue,
        units,
        cast(revenue as double) / cast(sum(revenue) over () as double) as revenue_share
    from by_hour
)

select * from final
