-- One row per rated event after commits and credits, of every invoice: what this run rated
-- (int_rated_events) and the rows of invoices earlier runs finalized, as recorded
-- (int_recorded_rated_events, rules 5). A view, so history is read where it is needed (the
-- ledger's drawdowns, balances, margin) and never copied.
{{ config(materialized='view') }}

with

rated_now as (
    select * from {{ ref('int_rated_events') }}
),

recorded as (
    select * from {{ ref('int_recorded_rated_events') }}
),

final as (
    select
        rated_now.*,
        false as is_recorded
    from rated_now
    union all
    select
        recorded.*,
        true as is_recorded
    from recorded
)

select * from final
