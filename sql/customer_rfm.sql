-- name: customer_rfm
-- version: 2
-- description: >
--   Who are the customers and how valuable are they? One row per known
--   customer: their most frequent country (by lines; ties: the smallest
--   name), first and last purchase, recency in days before `as_of`,
--   frequency (orders) and monetary value (revenue), RFM scores 1-5 (SQL
--   NTILE(5): recency descending, frequency and monetary ascending, ties by
--   customer_id, so 5 is best), the three-digit RFM cell and the segment
--   from the recency and frequency scores.
-- key: [customer_id]
-- chart: {kind: heatmap, x: f_score, y: r_score, value: rows, title: Customers by recency (R) and frequency (F) score}
-- params:
--   as_of: {type: date, default: null, description: "the day recency is measured from (null: the day after the latest invoice date among all transactions)"}

with reference_day as (
    select coalesce($as_of, max(invoice_date) + interval '1 day') as as_of
    from transaction_lines
),

customer_orders as (
    select customer_id, country, invoice_no, invoice_date, revenue, lines
    from order_totals
    where customer_id is not null
),

country_counts as (
    select customer_id, country, sum(lines) as line_count
    from customer_orders
    where country is not null
    group by customer_id, country
),

usual_countries as (
    select customer_id, country
    from (
        select
            customer_id,
            country,
            row_number() over (partition by customer_id order by line_count desc, country asc) as preference
        from country_counts
    ) as ranked_countries
    where preference = 1
),

customer_totals as (
    select
        customer_id,
        min(invoice_date) as first_purchase,
        max(invoice_date) as last_purchase,
        count(distinct invoice_no) as frequency,
        sum(revenue) as monetary
    from customer_orders
    group by customer_id
),

scored as (
    select
        totals.customer_id,
        usual_countries.country,
        totals.first_purchase,
        totals.last_purchase,
        cast(reference_day.as_of - totals.last_purchase as bigint) as recency_days,
        totals.frequency,
        totals.monetary
    from customer_totals as totals
    cross join reference_day
    left join usual_countries on totals.customer_id = usual_countries.customer_id
),

ranked as (
    select
        *,
        cast(ntile(5) over (order by recency_days desc, customer_id asc) as int) as r_score,
        cast(ntile(5) over (order by frequency asc, customer_id asc) as int) as f_score,
        cast(ntile(5) over (order by monetary asc, customer_id asc) as int) as m_score
    from scored
),

final as (
    select
        customer_id,
        country,
        first_purchase,
        last_purchase,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        concat(cast(r_score as varchar), cast(f_score as varchar), cast(m_score as varchar)) as rfm_cell,
        case
            when r_score = 5 and f_score = 1 then 'New Customers'
            when r_score = 5 and f_score in (2, 3) then 'Potential Loyalists'
            when r_score = 5 then 'Champions'
            when r_score = 4 and f_score = 1 then 'Promising'
            when r_score = 4 and f_score in (2, 3) then 'Potential Loyalists'
            when r_score = 4 then 'Loyal Customers'
            when r_score = 3 and f_score in (1, 2) then 'About to Sleep'
            when r_score = 3 and f_score = 3 then 'Need Attention'
            when r_score = 3 then 'Loyal Customers'
            when f_score in (1, 2) then 'Hibernating'
            when f_score in (3, 4) then 'At Risk'
            else 'Can''t Lose Them'
        end as segment
    from ranked
)

select * from final
