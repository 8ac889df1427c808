-- name: description_categories
-- version: 1
-- description: >
--   Each sold product description's category: the first rule in
--   `sql/category_rules.yaml` (by priority) whose keyword occurs in the
--   upper-cased description. Descriptions no rule matches are not listed
--   (their category is Other). Computed once per run and stored, so that
--   joining it to every sale is a lookup in a small table known to be small.
-- materialized: table

with descriptions as (
    -- Each description once, upper-cased after the distinct: the rules
    -- are matched per description, not per line.
    select description, upper(description) as upper_description
    from (select distinct description from sales where description is not null) as sold_descriptions
),

first_matching_rule as (
    select descriptions.description, min(category_rules.priority) as priority
    from descriptions
    join category_rules on strpos(descriptions.upper_description, category_rules.keyword) > 0
    group by descriptions.description
),

final as (
    select distinct first_matching_rule.description, category_rules.category
    from first_matching_rule
    join category_rules on first_matching_rule.priority = category_rules.priority
)

select * from final
