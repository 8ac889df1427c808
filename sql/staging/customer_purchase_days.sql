-- name: customer_purchase_days
-- version: 1
-- description: >
--   Each known customer's purchase days: one row per customer and invoice
--   date with sales, with that day's revenue. The lifetime-value models
--   count purchases in days (two orders on one day are one purchase), as
--   the reference implementation does with daily data.

select
    customer_id,
    invoice_date as purchase_day,
    sum(revenue) as revenue
from order_totals
where customer_id is not null
group by customer_id, invoice_date
