-- One row per (UTC hour, product, pricing group values, credit type) with rated events, draft and
-- finalized together: spend per price point, hour by hour.
{{ spend_rollup('hour', ['product_id', 'pricing_group_values', 'credit_type_id'], status='all') }}
