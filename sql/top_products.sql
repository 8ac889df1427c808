-- name: top_products
-- version: 3
-- description: >
--   Which products sell most? One row per stock code with units, revenue,
--   orders and distinct customers, ranked by revenue and by units (ties by
--   stock code), with each product's share of revenue and the running
--   (Pareto) share in revenue order. The description is the code's most
--   frequent non-null description (ties: the smallest string).
-- key: [stock_code]
-- chart: {kind: bar, x: stock_code, label: description, y: revenue, top: 15, title: Top products by revenue}

with product_lines as (
    select stock_code, description, quantity, revenue, invoice_no, customer_id
    from sales
),

description_counts as (
    select stock_code, description, count(*) as line_count
    from product_lines
    where description is not null
    group by stock_code, description
),

usual_descriptions as (
    select stock_code, description
    from (
        select
            stock_code,
            description,
            row_number() over (partition by stock_code order by line_count desc, description asc) as preference
        from description_counts
    ) as ranked_descriptions
    where preference = 1
),

-- One row per product and order: the unit and revenue sums of an order's
-- lines of that product. Summing these per product gives its totals, and
-- counting them its orders, in one pass over the lines (a separate
-- `count(distinct invoice_no)` reads and groups the lines a second time).
product_order_sums as (
    select stock_code, invoice_no, sum(quantity) as units, sum(revenue) as revenue
    from product_lines
    group by stock_code, invoice_no
),

product_sums as (
    select stock_code, sum(units) as units, sum(revenue) as revenue, count(*) as orders
    from product_order_sums
    group by stock_code
),

product_customers as (
    select stock_code, count(*) as customers
    from (
        select distinct stock_code, customer_id
        from product_lines
        where customer_id is not null
    ) as product_buyers
    group by stock_code
),

product_totals as (
    select
        product_sums.stock_code,
        product_sums.units,
        product_sums.revenue,
        product_sums.orders,
        coalesce(product_customers.customers, 0) as customers
    from product_sums
    left join product_customers on product_sums.stock_code = product_customers.stock_code
),

final as (
    select
        totals.stock_code,
        usual_descriptions.description,
        totals.units,
        totals.revenue,
        totals.orders,
        totals.customers,
        row_number() over (order by totals.revenue desc, totals.stock_code asc) as revenue_rank,
        row_number() over (order by totals.units desc, totals.stock_code asc) as units_rank,
        cast(totals.revenue as double) / cast(sum(totals.revenue) over () as double) as revenue_share,
        cast(sum(totals.revenue) over (
            order by totals.revenue desc, totals.stock_code asc
            rows between unbounded preceding and current row
        ) as double) / cast(sum(totals.revenue) over () as double) as cumulative_revenue_share
    from product_totals as totals
    left join usual_descriptions on totals.stock_code = usual_descriptions.stock_code
)

select * from final
