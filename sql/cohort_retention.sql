-- name: cohort_retention
-- version: 2
-- description: >
--   Do customers come back? Customers are grouped by cohort_month, the month
--   of their first sale. One row per cohort and months_since (0 = the first
--   month) with activity: the active customers, the cohort size and the
--   retention rate (active / cohort size).
-- key: [cohort_month, months_since]
-- chart: {kind: heatmap, x: months_since, y: cohort_month, value: retention_rate, title: Retention by cohort (share of the cohort active)}

with active_months as (
    select distinct customer_id, year_month
    from order_totals
    where customer_id is not null
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_size
    from customer_cohorts
    group by cohort_month
),

activity as (
    select
        customer_cohorts.cohort_month,
        cast(
            (cast(substr(active_months.year_month, 1, 4) as int) * 12 + cast(substr(active_months.year_month, 6, 2) as int))
            - (cast(substr(customer_cohorts.cohort_month, 1, 4) as int) * 12 + cast(substr(customer_cohorts.cohort_month, 6, 2) as int))
        as int) as months_since,
        count(*) as active_customers
    from active_months
    join customer_cohorts on active_months.customer_id = customer_cohorts.customer_id
    group by 1, 2
),

final as (
    select
        activity.cohort_month,
        activity.months_since,
        activity.active_customers,
        cohort_sizes.cohort_size,
        cast(activity.active_customers as double) / cast(cohort_sizes.cohort_size as double) as retention_rate
    from activity
    join cohort_sizes on activity.cohort_month = cohort_sizes.cohort_month
)

select * from final
