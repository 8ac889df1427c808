-- name: sales
-- version: 1
-- description: >
--   The lines that are real product sales: not cancellations, positive
--   quantity and unit price, and a product rather than a service code.
--   Every insight reads this unless it says otherwise, so it is computed
--   once per run and stored (materialized) rather than recomputed by each.
-- materialized: table

select *
from transaction_lines
where not is_cancellation
    and quantity > 0
    and unit_price > 0
    and is_product
