-- Who asks: a platform customer reselling to its own customers (customer-of-customer billing):
-- spend per month by the end customer named in the events' `end_customer` property, per
-- customer and product; events without it form their own group (end_customer null).
-- Run: .venv/bin/dbt show --profiles-dir . --select customer_of_customer_spend --limit 100
{{ spend_rollup('month', ['customer_id', 'end_customer', 'product_id'], status='all') }}
