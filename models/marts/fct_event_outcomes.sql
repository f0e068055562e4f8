-- One row per raw event received by as_of (SPEC 5): its single outcome, RATED, NOT_BILLABLE,
-- DUPLICATE or ERRORED, and the ids that lead to its rated events, the copy it duplicates, or
-- its error. Nothing is silently lost: the row count equals the raw events received by as_of.
-- Incremental (docs block `daily_refresh`): an outcome depends only on the event, the copies
-- received before it, the configuration and the rating settings, so a daily run that keeps
-- earlier outcomes appends only the events received since the previous run; a run that
-- cannot keep them (configuration or settings changed, as_of moved back, var daily_refresh
-- false) deletes every row in its pre-hook and writes them all again, in one transaction.
-- It runs after the finalized marts, so its newest run_as_of also says which periods they hold.
-- A --full-refresh does not drop it (full_refresh: false): the rows it keeps are history.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}{{ delete_rows_where(this,
            'not (select keeps_earlier_outcomes from ' ~ ref('int_run_settlement') ~ ')') }}{% endif %}"
    )
}}
-- depends_on: {{ ref('fct_rated_events_finalized') }}
-- depends_on: {{ ref('fct_invoices') }}
-- depends_on: {{ ref('fct_invoice_line_items') }}
with

settlement as (
    select * from {{ ref('int_run_settlement') }}
),

decided as (
    select * from {{ ref('int_usage_event_outcomes') }}
),

outcomes as (
    select
        decided.*,
        settlement.run_as_of,
        settlement.run_inputs_hash
    from decided
    cross join settlement
    {% if is_incremental() %}
        -- keep what earlier runs decided: only events they did not see
        where not settlement.keeps_earlier_outcomes
            or decided.received_at > settlement.previous_as_of
            or (
                decided.received_at is null
                and decided.event_id not in (select already.event_id from {{ this }} as already)
            )
    {% endif %}
),

final as (
    select
        event_id,
        source_file,
        cast(source_row as bigint) as source_row,
        transaction_id,
        customer_ref,
        customer_id,
        event_type,
        event_timestamp,
        received_at,
        outcome,
        error_code,
        duplicate_of_event_id,
        cast(matched_metric_count as integer) as matched_metric_count,
        cast(rated_target_count as integer) as rated_target_count,
        run_as_of,
        run_inputs_hash
    from outcomes
    order by received_at, source_file, source_row
)

select * from final
