-- Who asks: a customer success manager (GTM), or the customer themselves: one customer's spend
-- per month by the user who caused it and the product, draft and finalized together.
-- Run: .venv/bin/dbt show --profiles-dir . --select customer_spend_by_user_and_product \
--          --limit 100 --vars '{spend_customer_id: "cus_..."}'
{{ spend_rollup(
    'month',
    ['user_id', 'product_id'],
    status='all',
    filters={'customer_id': var('spend_customer_id', 'cus_0001')}
) }}
