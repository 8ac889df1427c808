-- name: segment_summary
-- version: 2
-- description: >
--   How big and how valuable is each RFM segment? One row per segment:
--   customers and their share, revenue and its share, and the average
--   recency (days), frequency (orders) and monetary value of its customers.
-- key: [segment]
-- chart: {kind: bar, x: segment, y: customers, title: Customers per RFM segment}

with segments as (
    -- Means as exact sums over the count, divided once: a sum of doubles
    -- would depend on the order the customers meet in.
    select
        segment,
        count(*) as customers,
        sum(monetary) as revenue,
        cast(sum(recency_days) as double) / cast(count(*) as double) as avg_recency_days,
        cast(sum(frequency) as double) / cast(count(*) as double) as avg_frequency,
        cast(sum(monetary) as double) / cast(count(*) as double) as avg_monetary
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
