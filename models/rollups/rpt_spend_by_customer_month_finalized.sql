-- One row per (UTC calendar month, customer, credit type) with finalized rated events: spend
-- that no later run changes, for revenue reporting.
{{ spend_rollup('month', ['customer_id', 'credit_type_id'], status='finalized') }}
