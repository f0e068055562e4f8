-- One row per (UTC day, customer, product, credit type) with rated events, draft and finalized
-- together: what a customer spent on each product each day.
{{ spend_rollup('day', ['customer_id', 'product_id', 'credit_type_id'], status='all') }}
