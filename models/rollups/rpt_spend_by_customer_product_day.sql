-- One row per (UTC day, customer, product, fiat credit type, credit type) with rated events,
-- draft and finalized together: what a customer spent on each product each day, in fiat and in
-- the credit type the product was priced in.
{{ spend_rollup(
    'day',
    ['customer_id', 'product_id', 'fiat_credit_type_id', 'credit_type_id'],
    status='all',
) }}
