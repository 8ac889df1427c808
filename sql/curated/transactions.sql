-- name: transactions
-- version: 2
-- description: >
--   The curated layer. Normalises every typed raw line as the contract says
--   (codes trimmed and upper case; empty text becomes null; a trailing `.0`
--   is dropped from customer ids, so `17850.0` and `17850` are one customer)
--   and keeps exact duplicates once: a line whose eight canonical values equal
--   an earlier line's. `source_file` is the input file of the first
--   occurrence, for the per-file row accounting. An export without order
--   numbers gets one per customer and time: `ORDER <customer> <time>`.

with normalised_lines as (
    select
        upper(trim(invoice_no)) as invoice_no,
        upper(trim(stock_code)) as stock_code,
        nullif(trim(description), '') as description,
        quantity,
        invoice_ts,
        unit_price,
        nullif(regexp_replace(trim(customer_id), '\.0+$', ''), '') as customer_id,
        nullif(trim(country), '') as country,
        source_file
    from raw_lines
),

ordered_lines as (
    -- invoice_no is null only when the input has no such column (an empty
    -- one is quarantined): then an order is what one customer bought at
    -- one time. The made-up number never starts with C (a cancellation).
    select
        coalesce(
            invoice_no,
            concat('ORDER ', coalesce(customer_id, '-'), ' ', cast(invoice_ts as varchar))
        ) as invoice_no,
        stock_code,
        description,
        quantity,
        invoice_ts,
        unit_price,
        customer_id,
        country,
        source_file
    from normalised_lines
),

distinct_lines as (
    select
        invoice_no,
        stock_code,
        description,
        quantity,
        invoice_ts,
        unit_price,
        customer_id,
        country,
        min(source_file) as source_file
    from ordered_lines
    group by invoice_no, stock_code, description, quantity, invoice_ts, unit_price, customer_id, country
)

select * from distinct_lines
