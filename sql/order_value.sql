-- name: order_value
-- version: 3
-- description: >
--   How big are orders, and is that changing? An order is an invoice of
--   sales, counted in the year_month of its first line. One row per
--   year_month: orders, revenue, average and median order value (the median
--   of an even count is the mean of the two middle values), and the average
--   units and lines per order.
-- key: [year_month]
-- chart: {kind: line, x: year_month, y: [aov, median_order_value], title: Order value per month (mean and median)}

with orders as (
    select
        invoice_no,
        min(year_month) as year_month,
        sum(revenue) as order_value,
        sum(units) as units,
        sum(lines) as lines
    from order_totals
    group by invoice_no
),

-- Means are exact sums divided once at the end: a sum of doubles depends on
-- the order the rows meet in, and the same input must give the same table
-- bit for bit, standalone or on any number of executors.
final as (
    select
        year_month,
        count(*) as orders,
        sum(order_value) as revenue,
        cast(sum(order_value) as double) / cast(count(*) as double) as aov,
        median(order_value) as median_order_value,
        cast(sum(units) as double) / cast(count(*) as double) as avg_units_per_order,
        cast(sum(lines) as double) / cast(count(*) as double) as avg_lines_per_order
    from orders
    group by year_month
)

select * from final
