-- name: transaction_lines
-- version: 2
-- description: >
--   Every curated transaction line with the derived columns every insight
--   shares: revenue (exact decimal), is_cancellation (invoice starts with C),
--   is_product (false for postage, fees, adjustments and other service codes;
--   true for the lines of an export without product codes), invoice_date
--   and year_month.

with curated_lines as (
    select * from transactions
),

derived as (
    select
        invoice_no,
        stock_code,
        description,
        quantity,
        invoice_ts,
        unit_price,
        customer_id,
        country,
        quantity * unit_price as revenue,
        starts_with(invoice_no, 'C') as is_cancellation,
        stock_code is null or not (
            stock_code in (
                'POST', 'DOT', 'M', 'C2', 'C3', 'D', 'S', 'B',
                'BANK CHARGES', 'ADJUST', 'ADJUST2', 'AMAZONFEE', 'PADS', 'CRUK', 'GIFT'
            )
            or starts_with(stock_code, 'GIFT_0001_')
            or starts_with(stock_code, 'TEST')
        ) as is_product,
        cast(invoice_ts as date) as invoice_date,
        year_month
    from curated_lines
)

select * from derived
