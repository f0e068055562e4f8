-- One row per event with outcome ERRORED received in (as_of - errored_events_lookback_days,
-- as_of] (rules 5): its error code and readable detail. A daily run keeps the published rows
-- still inside the window and adds the errored events received since; any other run replaces
-- them all.
-- A view in the build (the published rows it keeps beside this run's rows, exactly what the
-- build tests); a table in the warehouse readers open, where publishing deletes the rows this
-- run replaces and appends this run's rows (docs block `write_audit_publish`).
{{ config(materialized='view') }}
with

recorded as (
    select * from {{ ref('stg_recorded__errored_events') }}
    where {{ recorded_rows_kept('fct_errored_events', ref('int_run_settlement')) }}
),

this_run as (
    select * from {{ ref('int_errored_events_this_run') }}
),

final as (
    {{ select_contract_columns('fct_errored_events', 'recorded') }}
    union all
    {{ select_contract_columns('fct_errored_events', 'this_run') }}
)

select * from final
