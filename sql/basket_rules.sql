-- name: basket_rules
-- version: 2
-- description: >
--   Which products lead to which? Rules of the form "orders holding A (and
--   B) also hold C", for one or two products A, B and one product C that
--   together are in at least `min_orders` orders: the antecedent (A, or A
--   and B, by code), the consequent C, itemset_orders (the orders holding
--   all of them), support (their share of all orders), confidence (the
--   share of the orders holding the antecedent that also hold C; at least
--   `min_confidence`) and lift (how many times more often than chance the
--   antecedent and C meet).
-- key: [antecedent, consequent]
-- chart: {kind: bar, x: consequent, label: [antecedent, consequent], label_separator: " → ", y: lift, top: 15, title: Strongest basket rules (by lift)}
-- params:
--   min_orders: {type: int, default: 50, description: the fewest orders that must hold a rule's products together}
--   min_confidence: {type: float, default: 0.5, description: the lowest confidence of a rule that is listed}

with frequent_pairs as (
    -- The frequent pairs are product_affinity's rows: its min_orders is this
    -- insight's (the catalog requires parameters of the same name along a
    -- dependency to agree), so a pair is frequent here exactly when it is
    -- listed there.
    select product_a, product_b, pair_orders, support, confidence_a_to_b, confidence_b_to_a, lift
    from product_affinity
),

order_count as (
    select count(distinct invoice_no) as all_orders
    from sales
),

-- A frequent triple's three pairs are all frequent, so only a product in
-- two or more frequent pairs can be in one. Numbered in code order, so
-- comparing numbers compares codes and the triples are counted by
-- integers.
triple_products as (
    select
        stock_code,
        cast(row_number() over (order by stock_code) as int) as product_number
    from (
        select product_a as stock_code from frequent_pairs
        union all
        select product_b as stock_code from frequent_pairs
    ) as pair_members
    group by stock_code
    having count(*) >= 2
),

numbered_pairs as (
    select
        first_product.product_number as number_a,
        second_product.product_number as number_b,
        frequent_pairs.pair_orders
    from frequent_pairs
    join triple_products as first_product on frequent_pairs.product_a = first_product.stock_code
    join triple_products as second_product on frequent_pairs.product_b = second_product.stock_code
),

-- Each order's products among triple_products, as one list in number order.
order_products as (
    select sales.invoice_no, array_sort(array_agg(distinct triple_products.product_number)) as products
    from sales
    join triple_products on sales.stock_code = triple_products.stock_code
    group by sales.invoice_no
),

-- Each product's frequent partners of a higher number.
product_partners as (
    select number_a, array_agg(number_b) as partners
    from numbered_pairs
    group by number_a
),

-- Each order's list beside each product it holds.
product_orders as (
    select products, unnest(products) as number_a
    from order_products
),

-- Per first product a: the list of every order that holds it, from the
-- product after a on (a's partners have higher numbers, and the lists are
-- in number order). Two partners b < c of a that are together in at least
-- min_orders of these lists make a frequent triple (a, b, c): all three of
-- its pairs are frequent (b and c are partners of a, and together in
-- min_orders orders). frequent_pairs (an engine SQL function) counts the
-- pairs of a's partners within the lists: counting them as rows would group
-- every triple of every order (70 M rows on the UCI data, where every
-- triple of the orders' candidate products would be 1.3 G), and
-- intersecting each order with a's partners here would copy a's partner
-- list beside each of its orders.
partner_lists as (
    select
        number_a,
        array_agg(
            array_slice(products, cast(array_position(products, number_a) as bigint) + 1, cast(cardinality(products) as bigint))
        ) as lists
    from product_orders
    where number_a in (select number_a from product_partners)
    group by number_a
),

partner_pairs as (
    select
        partner_lists.number_a,
        unnest(frequent_pairs(partner_lists.lists, $min_orders, product_partners.partners)) as pair
    from partner_lists
    join product_partners on product_partners.number_a = partner_lists.number_a
),

frequent_triples as (
    select
        number_a,
        cast(pair['first'] as int) as number_b,
        cast(pair['second'] as int) as number_c,
        pair['count'] as itemset_orders
    from partner_pairs
),

-- Each triple gives three rules, one per product as the consequent; the
-- antecedent is the other two, in number (code) order. One pass over the
-- triples with three roles, not a union of three selects: each select
-- would count the triples again.
triple_roles as (
    select number_a, number_b, number_c, itemset_orders, unnest(make_array(1, 2, 3)) as consequent_position
    from frequent_triples
),

triple_rule_parts as (
    select
        case when consequent_position = 1 then number_b else number_a end as first_number,
        case when consequent_position = 3 then number_b else number_c end as second_number,
        case consequent_position when 1 then number_a when 2 then number_b else number_c end as consequent_number,
        itemset_orders
    from triple_roles
),

triple_rule_orders as (
    select
        make_array(first_product.stock_code, second_product.stock_code) as antecedent,
        consequent_product.stock_code as consequent,
        parts.itemset_orders,
        antecedent_pair.pair_orders as antecedent_orders,
        consequent_orders.orders as consequent_orders
    from triple_rule_parts as parts
    join numbered_pairs as antecedent_pair
        on antecedent_pair.number_a = parts.first_number
        and antecedent_pair.number_b = parts.second_number
    join triple_products as first_product on first_product.product_number = parts.first_number
    join triple_products as second_product on second_product.product_number = parts.second_number
    join triple_products as consequent_product on consequent_product.product_number = parts.consequent_number
    join top_products as consequent_orders on consequent_orders.stock_code = consequent_product.stock_code
),

triple_rules as (
    select
        antecedent,
        consequent,
        itemset_orders,
        cast(itemset_orders as double) / cast(order_count.all_orders as double) as support,
        cast(itemset_orders as double) / cast(antecedent_orders as double) as confidence,
        cast(itemset_orders as double) * cast(order_count.all_orders as double)
            / (cast(antecedent_orders as double) * cast(consequent_orders as double)) as lift
    from triple_rule_orders
    cross join order_count
),

-- A pair gives two rules of one product: product_affinity has the
-- confidence each way, and the pair's support and lift are the rules'.
pair_rules as (
    select make_array(product_a) as antecedent, product_b as consequent, pair_orders as itemset_orders,
        support, confidence_a_to_b as confidence, lift
    from frequent_pairs
    union all
    select make_array(product_b), product_a, pair_orders, support, confidence_b_to_a, lift
    from frequent_pairs
),

final as (
    select * from pair_rules
    where confidence >= $min_confidence
    union all
    select * from triple_rules
    where confidence >= $min_confidence
)

select * from final
