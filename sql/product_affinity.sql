-- name: product_affinity
-- version: 1
-- description: >
--   Which products are bought together? Baskets are the distinct
--   (invoice, product) pairs of sales. One row per pair product_a <
--   product_b (by code) that share at least `min_pair_orders` orders:
--   pair_orders, support (share of all orders), confidence each way and lift.
--   Products in fewer orders than the threshold cannot qualify and are
--   dropped before the pairing.
-- key: [product_a, product_b]
-- chart: {kind: bar, x: product_a, label: [product_a, product_b], y: lift, top: 15, title: Products bought together (top pairs by lift)}
-- params:
--   min_pair_orders: {type: int, default: 50, description: the fewest shared orders for a pair to be listed}

with baskets as (
    select distinct invoice_no, stock_code
    from sales
),

product_orders as (
    select stock_code, count(*) as orders
    from baskets
    group by stock_code
),

order_count as (
    select count(distinct invoice_no) as all_orders
    from sales
),

candidate_baskets as (
    select baskets.invoice_no, baskets.stock_code
    from baskets
    join product_orders on baskets.stock_code = product_orders.stock_code
    where product_orders.orders >= $min_pair_orders
),

pairs as (
    select
        basket_a.stock_code as product_a,
        basket_b.stock_code as product_b,
        count(*) as pair_orders
    from candidate_baskets as basket_a
    join candidate_baskets as basket_b
        on basket_a.invoice_no = basket_b.invoice_no
        and basket_a.stock_code < basket_b.stock_code
    group by basket_a.stock_code, basket_b.stock_code
    having count(*) >= $min_pair_orders
),

final as (
    select
        pairs.product_a,
        pairs.product_b,
        pairs.pair_orders,
        cast(pairs.pair_orders as double) / cast(order_count.all_orders as double) as support,
        cast(pairs.pair_orders as double) / cast(orders_a.orders as double) as confidence_a_to_b,
        cast(pairs.pair_orders as double) / cast(orders_b.orders as double) as confidence_b_to_a,
        cast(pairs.pair_orders as double) * cast(order_count.all_orders as double)
            / (cast(orders_a.orders as double) * cast(orders_b.orders as double)) as lift
    from pairs
    cross join order_count
    join product_orders as orders_a on pairs.product_a = orders_a.stock_code
    join product_orders as orders_b on pairs.product_b = orders_b.stock_code
)

select * from final
