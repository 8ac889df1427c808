-- name: returns_analysis
-- version: 2
-- description: >
--   How much is returned? One row per year_month of sales: the cancelled
--   product lines of that month (all transactions, not only sales), their
--   units and value as positive numbers, the month's gross sales and the
--   return rate (cancelled value / gross sales).
-- key: [year_month]
-- chart: {kind: line, x: year_month, y: return_rate, title: Returns as a share of gross sales}

with cancellations as (
    select
        year_month,
        count(*) as cancelled_lines,
        sum(abs(quantity)) as cancelled_units,
        sum(abs(revenue)) as cancelled_value
    from transaction_lines
    where is_cancellation and is_product
    group by year_month
),

gross as (
    select year_month, sum(revenue) as gross_sales
    from order_totals
    group by year_month
),

final as (
    select
        gross.year_month,
        coalesce(cancellations.cancelled_lines, 0) as cancelled_lines,
        coalesce(cancellations.cancelled_units, 0) as cancelled_units,
        coalesce(cancellations.cancelled_value, 0) as cancelled_value,
        gross.gross_sales,
        cast(coalesce(cancellations.cancelled_value, 0) as double) / cast(gross.gross_sales as double) as return_rate
    from gross
    left join cancellations on gross.year_month = cancellations.year_month
)

select * from final
