-- One row per (UTC hour, product, pricing group values, fiat credit type, credit type) with rated
-- events, draft and finalized together: spend per price point, hour by hour.
{{ spend_rollup(
    'hour',
    ['product_id', 'pricing_group_values', 'fiat_credit_type_id', 'credit_type_id'],
    status='all',
) }}
