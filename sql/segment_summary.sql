-- name: segment_summary
-- version: 1
-- description: >
--   How big and how valuable is each RFM segment? One row per segment:
--   customers and their share, revenue and its share, and the average
--   recency (days), frequency (orders) and monetary value of its customers.
-- key: [segment]
-- chart: {kind: bar, x: segment, y: customers, title: Customers per RFM segment}

with segments as (
    select
        segment,
        count(*) as customers,
        sum(monetary) as revenue,
        avg(cast(recency_days as double)) as avg_recency_days,
        avg(cast(frequency as double)) as avg_frequency,
        avg(cast(monetary as double)) as avg_monetary
    from customer_rfm
    group by segment
),

final as (
    select
        segment,
        customers,
        cast(customers as double) / cast(sum(customers) over () as double) as customer_share,
        revenue,
        cast(revenue as double) / cast(sum(revenue) over () as double) as revenue_share,
        avg_recency_days,
        avg_frequency,
        avg_monetary
    from segments
)

select * from final
