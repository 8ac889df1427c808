-- name: category_performance
-- version: 4
-- description: >
--   Which product categories carry the business? A line's category is the
--   first rule in `sql/category_rules.yaml` whose keyword occurs in its
--   upper-cased description (no match or no description: Other). One row per
--   category: revenue, units, orders, customers, distinct products, revenue
--   share and rank (ties by category name).
-- key: [category]
-- chart: {kind: bar, x: category, y: revenue, title: Revenue by category}

with categorised_lines as (
    select
        coalesce(description_categories.category, 'Other') as category,
        sales.revenue,
        sales.quantity,
        sales.invoice_no,
        sales.customer_id,
        sales.stock_code
    -- Every sale, with the category of its description if one matched.
    -- Written with the small table first: the hash table is then built over
    -- the few thousand descriptions, not the million sales (3-5x faster).
    -- description_categories is a stored table, so the engine knows it is
    -- small and looks each sale up in it where the sale is read, instead of
    -- first moving every sale to the join (10M lines: 5.8 s -> 3.8 s, and
    -- 0.5 s for the stored table).
    from description_categories
    right join sales on description_categories.description = sales.description
),

by_category as (
    select
        category,
        sum(revenue) as revenue,
        sum(quantity) as units,
        count(distinct invoice_no) as orders,
        count(distinct customer_id) as customers,
        count(distinct stock_code) as products
    from categorised_lines
    group by category
),

final as (
    select
        *,
        cast(revenue as double) / cast(sum(revenue) over () as double) as revenue_share,
        row_number() over (order by revenue desc, category asc) as revenue_rank
    from by_category
)

select * from final
