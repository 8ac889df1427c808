-- name: order_totals
-- version: 1
-- description: >
--   Each sale order's totals: revenue, units and lines of `sales` per
--   invoice_no, customer, country and timestamp. An invoice is one row,
--   except the rare one whose lines carry two timestamps (42 of the UCI
--   data's 19,773 sale invoices), so a sum or a distinct count over these
--   rows equals the same over the lines. The insights that look at orders, customers,
--   countries and months read these ~18x fewer rows instead of the lines;
--   computed once per run and stored.
-- materialized: table

select
    invoice_no,
    customer_id,
    country,
    invoice_ts,
    cast(invoice_ts as date) as invoice_date,
    year_month,
    sum(revenue) as revenue,
    sum(quantity) as units,
    count(*) as lines
from sales
group by invoice_no, customer_id, country, invoice_ts, year_month
