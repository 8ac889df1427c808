-- name: product_monthly_trend
-- version: 1
-- description: >
--   How do the best sellers move month by month? For the products ranked in
--   the top `trend_top_n` by revenue, one row per (stock_code, year_month)
--   with sales: units, revenue, orders and revenue_change_pct, the relative
--   change against that product's previous month with sales (a fraction:
--   0.25 is +25 %; null on its first month).
-- key: [stock_code, year_month]
-- chart: {kind: line, x: year_month, y: revenue, series: stock_code, title: Monthly revenue of the top products}
-- params:
--   trend_top_n: {type: int, default: 10, description: how many products (by revenue rank) get a trend}

with trending_products as (
    select stock_code
    from top_products
    where revenue_rank <= $trend_top_n
),

monthly as (
    select
        sales.stock_code,
        sales.year_month,
        sum(sales.quantity) as units,
        sum(sales.revenue) as revenue,
        count(distinct sales.invoice_no) as orders
    from sales
    join trending_products on sales.stock_code = trending_products.stock_code
    group by sales.stock_code, sales.year_month
),

final as (
    select
        stock_code,
        year_month,
        units,
        revenue,
        orders,
        cast(revenue - lag(revenue) over product_months as double)
            / cast(lag(revenue) over product_months as double) as revenue_change_pct
    from monthly
    window product_months as (partition by stock_code order by year_month)
)

select * from final
