-- name: product_recommendations
-- version: 2
-- description: >
--   What should we offer each customer next? For every customer, up to
--   `top` products they have never bought that the basket rules point to
--   from what they have bought: a product qualifies when the customer has
--   bought every product of a rule's antecedent (in any of their orders)
--   and the product is that rule's consequent. Each product counts with its
--   best such rule (highest confidence, then highest lift); rank 1 is the
--   surest offer. Customers no rule reaches have no rows.
-- key: [customer_id, rank]
-- chart: {kind: none}
-- params:
--   top: {type: int, default: 5, description: the most products offered to one customer}

with customer_products as (
    select distinct customer_id, stock_code
    from sales
    where customer_id is not null
),

rules as (
    select antecedent, consequent, confidence, lift
    from basket_rules
),

-- The products of the rules, numbered in code order, so that the engine
-- function below, which breaks ties by the lower number, breaks them by
-- code as the ranking does.
rule_products as (
    select stock_code, cast(row_number() over (order by stock_code) as int) as product_number
    from (
        select consequent as stock_code from rules
        union
        select unnest(antecedent) as stock_code from rules
    ) as rule_members
),

-- A rule's antecedent is one or two products (the second is null for one).
numbered_rules as (
    select
        case
            when second_product.product_number is null then make_array(first_product.product_number)
            else make_array(first_product.product_number, second_product.product_number)
        end as antecedent,
        consequent_product.product_number as consequent,
        rules.confidence,
        rules.lift
    from rules
    join rule_products as first_product on first_product.stock_code = rules.antecedent[1]
    left join rule_products as second_product on second_product.stock_code = rules.antecedent[2]
    join rule_products as consequent_product on consequent_product.stock_code = rules.consequent
),

customer_numbers as (
    select customer_id, row_number() over (order by customer_id) as customer_number
    from (select distinct customer_id from customer_products) as customers
),

-- Each customer's basket: every product of the rules they have bought, in
-- any of their orders. Products no rule names can neither fire a rule nor
-- be offered.
customer_baskets as (
    select customer_numbers.customer_number, array_agg(rule_products.product_number) as items
    from customer_products
    join rule_products on rule_products.stock_code = customer_products.stock_code
    join customer_numbers on customer_numbers.customer_id = customer_products.customer_id
    group by customer_numbers.customer_number
),

-- The customers in 8 chunks and the rules in 16 (by their first product,
-- so that all rules a product starts are in one chunk), matched chunk with
-- chunk: 128 pieces of work that run in parallel (enough that the engine's
-- partitions get about the same share), each holding a sixteenth of the
-- rules and an eighth of the customers instead of every rule beside every
-- customer.
basket_chunks as (
    select
        customer_number % 8 as basket_chunk,
        array_agg(named_struct('id', customer_number, 'items', items)) as baskets
    from customer_baskets
    group by customer_number % 8
),

rule_chunks as (
    select
        antecedent[1] % 16 as rule_chunk,
        array_agg(named_struct('antecedent', antecedent, 'consequent', consequent, 'confidence', confidence, 'lift', lift)) as rules
    from numbered_rules
    group by antecedent[1] % 16
),

-- basket_offers (an engine SQL function) gives, per customer of a chunk,
-- the products they have not bought that the chunk's rules they fire point
-- to, each with its best rule (highest confidence, then highest lift), the
-- first `top` of them. Matching customers with rules as rows would join
-- every pair of products a customer owns that is an antecedent with its
-- rules (half a billion rows at ten million lines). A product in a
-- customer's first `top` overall is in the first `top` of the chunk that
-- holds its best rule, so the chunks' offers suffice.
chunk_offers as (
    select unnest(basket_offers(basket_chunks.baskets, rule_chunks.rules, $top)) as offer
    from basket_chunks
    cross join rule_chunks
),

chunk_offer_rows as (
    select
        offer['id'] as customer_number,
        offer['item'] as product_number,
        offer['confidence'] as confidence,
        offer['lift'] as lift
    from chunk_offers
),

-- Each product with its best rule over all chunks.
offers as (
    select
        customer_number,
        product_number,
        max(confidence) as confidence,
        first_value(lift order by confidence desc, lift desc) as lift
    from chunk_offer_rows
    group by customer_number, product_number
),

named_offers as (
    select customer_numbers.customer_id, rule_products.stock_code, offers.confidence, offers.lift
    from offers
    join customer_numbers on customer_numbers.customer_number = offers.customer_number
    join rule_products on rule_products.product_number = offers.product_number
),

ranked_offers as (
    select
        customer_id,
        row_number() over (partition by customer_id order by confidence desc, lift desc, stock_code asc) as rank,
        stock_code,
        confidence,
        lift
    from named_offers
)

select customer_id, rank, stock_code, confidence, lift
from ranked_offers
where rank <= $top
