-- One row per rated event of a finalized billing period (SPEC 5). Append-only: a period's rows
-- are written by the first run at or after its finalized_at and never updated or deleted
-- afterwards, not even by --full-refresh (full_refresh: false). How an operator deliberately
-- re-finalizes a voided period is in the README ("Finalized history").
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail'
    )
}}
with

rated_events as (
    select * from {{ ref('int_rated_events') }}
    where status = 'FINALIZED'
    {% if is_incremental() %}
        -- a period is written once: whole periods not yet in the table
        and invoice_id not in (select distinct already.invoice_id from {{ this }} as already)
    {% endif %}
)

{{ rated_events_mart_columns('rated_events') }}
