-- name: customer_cohorts
-- version: 2
-- description: >
--   Each known customer's cohort: the year_month of their first sale. Shared
--   by monthly_sales (new vs returning customers) and cohort_retention.

select
    customer_id,
    min(year_month) as cohort_month
from order_totals
where customer_id is not null
group by customer_id
