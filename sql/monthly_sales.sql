-- name: monthly_sales
-- version: 3
-- description: >
--   How do sales develop month by month, and who buys? One row per
--   year_month: revenue, orders, units, distinct customers, average order
--   value, new customers (first sale in that month) and returning ones,
--   revenue growth against the previous month (a fraction; null first) and
--   the seasonal index (revenue / mean monthly revenue).
-- key: [year_month]
-- chart: {kind: stacked_bar, x: year_month, y: [returning_customers, new_customers], line: revenue, title: "Monthly revenue, new and returning customers"}

with monthly_totals as (
    select
        year_month,
        sum(revenue) as revenue,
        count(distinct invoice_no) as orders,
        sum(units) as units,
        count(distinct customer_id) as customers
    from order_totals
    group by year_month
),

new_customers as (
    select cohort_month as year_month, count(*) as new_customers
    from customer_cohorts
    group by cohort_month
),

final as (
    select
        totals.year_month,
        totals.revenue,
        totals.orders,
        totals.units,
        totals.customers,
        cast(totals.revenue as double) / cast(totals.orders as double) as aov,
        coalesce(new_customers.new_customers, 0) as new_customers,
        totals.customers - coalesce(new_customers.new_customers, 0) as returning_customers,
        cast(totals.revenue - lag(totals.revenue) over months as double)
            / cast(lag(totals.revenue) over months as double) as revenue_growth_pct,
        -- The mean monthly revenue from the exact decimal sum: a sum of
        -- doubles would depend on the order the months meet in.
        cast(totals.revenue as double)
            / (cast(sum(totals.revenue) over () as double) / cast(count(*) over () as double)) as seasonal_index
    from monthly_totals as totals
    left join new_customers on totals.year_month = new_customers.year_month
    window months as (order by totals.year_month)
)

select * from final
