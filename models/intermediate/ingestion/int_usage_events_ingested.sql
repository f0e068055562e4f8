-- One row per raw event received by as_of that this run decides (docs block `daily_refresh`):
-- what ingestion decided. `ingestion_outcome` is ERRORED (with its code), DUPLICATE, or
-- ACCEPTED (handed to rating). Nothing is dropped: with the outcomes already recorded, the row
-- count equals the raw events received by as_of.
-- Each event is in exactly one of three disjoint sets, so the outcomes are a union, not a join
-- of history-sized tables: rejected by validation or a duplicate (about 1 %; both found in one
-- pass over the validated events), or kept (in int_usage_events_customer_resolved, whose
-- customer decides ERRORED or ACCEPTED).
-- Read only by int_usage_events_decided: a view on DuckDB (docs block `pipelined_steps`).
{{ config(materialized=pipelined_step()) }}

with

validated as (
    -- settled copies only served as deduplication context: their outcomes are recorded
    select * from {{ ref('int_usage_events_validated') }}
    where not is_settled
),

duplicates as (
    select * from {{ ref('int_usage_events_deduplicated') }}
    where is_duplicate
),

resolved as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
),

rejected_or_duplicate as (
    -- one pass over the validated events: a rejected event is never in the deduplicated set
    -- (only accepted events are), so the small duplicate set is looked up beside each one
    select
        validated.*,
        duplicates.duplicate_of_event_id
    from validated
    left join duplicates on validated.event_id = duplicates.event_id
    where not validated.is_accepted or duplicates.event_id is not null
),

rejected_or_duplicate_events as (
    select
        event_id,
        source_file,
        source_row,
        transaction_id,
        customer_ref,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        event_type,
        event_timestamp,
        received_at,
        case when is_accepted then 'DUPLICATE' else 'ERRORED' end as ingestion_outcome,
        case when not is_accepted then ingest_error_code end as error_code,
        duplicate_of_event_id
    from rejected_or_duplicate
),

kept_events as (
    select
        event_id,
        source_file,
        source_row,
        transaction_id,
        customer_ref,
        customer_id,
        event_type,
        event_timestamp,
        received_at,
        case when customer_id is null then 'ERRORED' else 'ACCEPTED' end as ingestion_outcome,
        case when customer_id is null then 'CUSTOMER_NOT_FOUND' end as error_code,
        cast(null as {{ dbt.type_string() }}) as duplicate_of_event_id
    from resolved
),

final as (
    select * from rejected_or_duplicate_events
    union all
    select * from kept_events
)

select * from final
