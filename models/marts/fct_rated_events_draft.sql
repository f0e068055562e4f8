-- One row per rated event of a billing period that is not finalized yet (rules 5): rebuilt on
-- every run, so it follows late events and configuration changes until the period closes.
-- A view: a filter of int_rated_events, which stores every rated row once (docs block
-- `rated_event_storage`). A table on Spark, whose views are read again by every query.
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
with

rated_events as (
    select * from {{ ref('int_rated_events') }}
    where status = 'DRAFT'
),

run_provenance as (
    select * from {{ ref('int_run_provenance') }}
)

{{ rated_events_mart_columns('rated_events', 'run_provenance') }}
