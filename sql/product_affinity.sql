-- name: product_affinity
-- version: 7
-- description: >
--   Which products are bought together? One row per pair of products
--   (product_a before product_b by code) that are together in at least
--   `min_orders` orders: pair_orders, support (their share of all orders),
--   confidence each way (the share of the orders with one product that also
--   hold the other) and lift (how many times more often than chance they
--   meet).
-- key: [product_a, product_b]
-- chart: {kind: bar, x: product_a, label: [product_a, product_b], y: lift, top: 15, title: Products bought together (top pairs by lift)}
-- params:
--   min_orders: {type: int, default: 50, description: the fewest shared orders for a pair to be listed}

with order_count as (
    -- Products in fewer orders than the threshold cannot qualify and are
    -- dropped before the pairing; a product's orders are
    -- top_products.orders (its distinct invoices among sales, the same
    -- count as its baskets). Each order's products are gathered into one
    -- sorted list and its pairs read off that list, instead of joining the
    -- baskets to themselves; the pairs are counted one first product at a
    -- time.
    select count(distinct invoice_no) as all_orders
    from sales
),

-- Numbered in code order, so comparing numbers compares codes, and a pair
-- is counted by two integers: counting pairs by two strings costs several
-- times more, and the pairs are the bulk of this insight's work. 32-bit
-- numbers (four billion products is plenty): the baskets' tails of 64-bit
-- numbers took twice the bytes to shuffle and sort, and the insight 1.7x
-- the time (10M lines: 9.0 -> 5.4 s).
candidate_products as (
    select
        stock_code,
        orders,
        cast(row_number() over (order by stock_code) as int) as product_number
    from top_products
    where orders >= $min_orders
),

-- One row per order: its distinct candidate products, in number order.
baskets as (
    select
        sales.invoice_no,
        array_sort(array_distinct(array_agg(candidate_products.product_number))) as products
    from sales
    join candidate_products on sales.stock_code = candidate_products.stock_code
    group by sales.invoice_no
),

-- Each position of a basket but the last.
basket_positions as (
    select products, unnest(generate_series(1, cast(array_length(products) as bigint) - 1)) as position
    from baskets
),

-- Each product of a basket with the later ones (its tail): the pairs of an
-- order, each once, without joining the baskets to themselves.
basket_tails as (
    select
        products[position] as number_a,
        array_slice(products, position + 1, cast(array_length(products) as bigint)) as tail
    from basket_positions
),

-- Per first product: the tail of every order that holds it (and a later
-- product), one list each. frequent_values (an engine SQL function) counts
-- the orders each partner occurs in: counting the pairs as rows groups
-- every pair of every order (at 10M lines 105 M rows in 18 M distinct
-- pairs; the insight 8.3 -> 6.6 s).
partner_lists as (
    select number_a, array_agg(tail) as tails
    from basket_tails
    group by number_a
),

partner_counts as (
    select number_a, unnest(frequent_values(tails, $min_orders)) as partner
    from partner_lists
),

pairs as (
    select number_a, cast(partner['value'] as int) as number_b, partner['count'] as pair_orders
    from partner_counts
),

final as (
    select
        product_a.stock_code as product_a,
        product_b.stock_code as product_b,
        pairs.pair_orders,
        cast(pairs.pair_orders as double) / cast(order_count.all_orders as double) as support,
        cast(pairs.pair_orders as double) / cast(product_a.orders as double) as confidence_a_to_b,
        cast(pairs.pair_orders as double) / cast(product_b.orders as double) as confidence_b_to_a,
        cast(pairs.pair_orders as double) * cast(order_count.all_orders as double)
            / (cast(product_a.orders as double) * cast(product_b.orders as double)) as lift
    from pairs
    cross join order_count
    join candidate_products as product_a on pairs.number_a = product_a.product_number
    join candidate_products as product_b on pairs.number_b = product_b.product_number
)

select * from final
