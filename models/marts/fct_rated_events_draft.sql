-- One row per rated event of a billing period that is not finalized yet (rules 5): rebuilt on
-- every run, so it follows late events and configuration changes until the period closes.
with

rated_events as (
    select * from {{ ref('int_rated_events') }}
    where status = 'DRAFT'
),

run_provenance as (
    select * from {{ ref('int_run_provenance') }}
)

{{ rated_events_mart_columns('rated_events', 'run_provenance') }}
