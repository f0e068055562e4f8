-- One row per raw event received by as_of (rules 5): its single outcome, with the error code
-- and detail of an ERRORED event. Nothing is silently lost: the row count equals the raw
-- events received by as_of. A daily run keeps the published outcomes and adds the events
-- received since (docs block `daily_refresh`); any other run replaces them all.
-- A view in the build (the published rows it keeps beside this run's rows, exactly what the
-- build tests); a table in the warehouse readers open, where publishing deletes the rows this
-- run replaces and appends this run's rows (docs block `write_audit_publish`).
{{ config(materialized='view') }}
with

recorded as (
    select * from {{ ref('stg_recorded__event_outcomes') }}
    where {{ recorded_rows_kept('fct_event_outcomes', ref('int_run_settlement')) }}
),

this_run as (
    select * from {{ ref('int_event_outcomes_this_run') }}
),

final as (
    {{ select_contract_columns('fct_event_outcomes', 'recorded') }}
    union all
    {{ select_contract_columns('fct_event_outcomes', 'this_run') }}
)

select * from final
