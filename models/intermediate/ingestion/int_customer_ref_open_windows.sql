-- One row per customer ref (customer id or ingest alias) whose customer has a contract billing
-- period that the previous run had not finalized: `open_from` is the earliest such period's
-- start. Events of that customer timestamped before it can only fall in periods already
-- recorded as finalized, so a daily run need not rate them again (docs block `daily_refresh`).
-- Customers without such a period have no row: all their periods are recorded.
with

settlement as (
    select * from {{ ref('int_run_settlement') }}
),

periods as (
    select * from {{ ref('int_contract_billing_periods') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

customer_refs as (
    select * from {{ ref('int_customer_refs') }}
),

open_periods as (
    -- a period the previous run had not finalized (every period when nothing is kept)
    select
        contracts.customer_id,
        periods.billing_period_start
    from periods
    inner join contracts on periods.contract_id = contracts.contract_id
    cross join settlement
    where not settlement.keeps_earlier_outcomes
        or periods.finalized_at > settlement.previous_as_of
),

customer_open_from as (
    select
        customer_id,
        min(billing_period_start) as open_from
    from open_periods
    group by customer_id
),

final as (
    select
        customer_refs.customer_ref,
        customer_refs.customer_id,
        customer_open_from.open_from
    from customer_refs
    inner join customer_open_from on customer_refs.customer_id = customer_open_from.customer_id
)

select * from final
