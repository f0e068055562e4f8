-- One row per rated event this run finalizes (rules 5): the rated events of billing periods
-- that reached their finalized_at and are not yet recorded, in the mart's columns. Publishing
-- appends them to fct_rated_events_finalized, which never updates or deletes a row.
-- int_rated_events already leaves recorded invoices out (they are not rated again); the
-- filter says so here too, since appending an invoice twice would double its history.
-- A view: a filter of int_rated_events, which stores every rated row once (docs block
-- `rated_event_storage`). A table on Spark, whose views are read again by every query.
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
with

rated_events as (
    select * from {{ ref('int_rated_events') }}
    where status = 'FINALIZED'
        and invoice_id not in (select recorded.invoice_id from {{ ref('int_recorded_invoices') }} as recorded)
),

run_provenance as (
    select * from {{ ref('int_run_provenance') }}
)

{{ rated_events_mart_columns('rated_events', 'run_provenance') }}
