-- name: product_recommendations
-- version: 1
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
    -- A rule's antecedent is one or two products; second_product is ''
    -- for one, so that antecedents join as two plain keys.
    select
        antecedent[1] as first_product,
        coalesce(antecedent[2], '') as second_product,
        consequent,
        confidence,
        lift
    from basket_rules
),

-- Rules share antecedents (on the UCI data 220 k rules have 26 k), so the
-- customers are matched with each antecedent once, not with each rule.
antecedents as (
    select distinct first_product, second_product
    from rules
),

-- The antecedents whose every product a customer has bought.
held_antecedents as (
    select owned.customer_id, antecedents.first_product, antecedents.second_product
    from antecedents
    join customer_products as owned on owned.stock_code = antecedents.first_product
    where antecedents.second_product = ''
    union all
    select owned.customer_id, antecedents.first_product, antecedents.second_product
    from antecedents
    join customer_products as owned on owned.stock_code = antecedents.first_product
    join customer_products as also_owned
        on also_owned.customer_id = owned.customer_id
        and also_owned.stock_code = antecedents.second_product
),

fired_rules as (
    select held.customer_id, rules.consequent as stock_code, rules.confidence, rules.lift
    from held_antecedents as held
    join rules
        on rules.first_product = held.first_product
        and rules.second_product = held.second_product
),

-- Products the customer has not bought, each with its best rule: the
-- highest confidence, and of the rules with it the highest lift
-- (first_value keeps each group's best row as it goes, without sorting
-- the fired rules).
offers as (
    select
        customer_id,
        stock_code,
        max(confidence) as confidence,
        first_value(lift order by confidence desc, lift desc) as lift
    from fired_rules
    where not exists (
        select 1
        from customer_products as owned
        where owned.customer_id = fired_rules.customer_id
            and owned.stock_code = fired_rules.stock_code
    )
    group by customer_id, stock_code
),

ranked_offers as (
    select
        customer_id,
        row_number() over (partition by customer_id order by confidence desc, lift desc, stock_code asc) as rank,
        stock_code,
        confidence,
        lift
    from offers
)

select customer_id, rank, stock_code, confidence, lift
from ranked_offers
where rank <= $top
