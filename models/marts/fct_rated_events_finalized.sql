-- One row per rated event of a finalized billing period (rules 5). Append-only: a period's rows
-- are written by the first run at or after its finalized_at and never updated or deleted
-- afterwards, not even by --full-refresh (the published table is written only by the publish
-- step). How an operator deliberately re-finalizes a voided period is in the README
-- ("Finalized history").
-- A view in the build (the published rows it keeps beside this run's rows, exactly what the
-- build tests); a table in the warehouse readers open, where publishing deletes the rows this
-- run replaces and appends this run's rows (docs block `write_audit_publish`).
{{ config(materialized='view') }}
with

recorded as (
    select * from {{ ref('stg_recorded__rated_events_finalized') }}
    where {{ recorded_rows_kept('fct_rated_events_finalized', ref('int_run_settlement')) }}
),

this_run as (
    select * from {{ ref('int_rated_events_finalized_this_run') }}
),

final as (
    {{ select_contract_columns('fct_rated_events_finalized', 'recorded') }}
    union all
    {{ select_contract_columns('fct_rated_events_finalized', 'this_run') }}
)

select * from final
