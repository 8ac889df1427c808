-- name: clv_model
-- version: 1
-- description: >
--   How do this shop's customers buy, as the lifetime-value models see it?
--   One row: the BG/NBD parameters (r and alpha: how often customers buy
--   while active; a and b: how likely they are to stop after a purchase),
--   the Gamma-Gamma parameters (p, q and v: how much they spend per
--   purchase), the customers each model was fitted on, and a note when the
--   data put a model at a limit, e.g. no measurable dropout.
-- key: [customers]
-- chart: {kind: none}

with fits as (
    -- Both fits are maximum likelihood (the engine's `bgnbd_fit` and
    -- `gamma_gamma_fit`, docs/functions.md). They condense their input to the
    -- distinct (frequency, recency, t) patterns themselves, so the fit costs
    -- the same at any number of lines. Gamma-Gamma uses the customers with
    -- repeat purchases only.
    select
        bgnbd_fit(frequency, recency, t) as purchases,
        gamma_gamma_fit(frequency, monetary_value) as spend
    from customer_purchase_summary
),

final as (
    select
        purchases['r'] as r,
        purchases['alpha'] as alpha,
        purchases['a'] as a,
        purchases['b'] as b,
        spend['p'] as p,
        spend['q'] as q,
        spend['v'] as v,
        purchases['customers'] as customers,
        spend['customers'] as repeat_customers,
        nullif(concat_ws('; ', purchases['note'], spend['note']), '') as note
    from fits
)

select * from final
