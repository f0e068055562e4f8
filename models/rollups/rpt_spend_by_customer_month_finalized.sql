-- One row per (UTC calendar month, customer, fiat credit type) with finalized rated events:
-- fiat spend that no later run changes, for revenue reporting (custom pricing units and cents
-- in one figure; credit_type_id and the amounts in it are null where a month mixes them).
{{ spend_rollup('month', ['customer_id'], status='finalized') }}
