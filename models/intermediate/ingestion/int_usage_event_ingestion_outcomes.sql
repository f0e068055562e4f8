-- One row per raw event received by as_of that this run decides (docs block `daily_refresh`):
-- what ingestion decided. `ingestion_outcome` is ERRORED (with its code), DUPLICATE, or
-- ACCEPTED (handed to rating). Nothing is dropped: with the outcomes already recorded, the row
-- count equals the raw events received by as_of.
with

validated as (
    -- settled copies only served as deduplication context: their outcomes are recorded
    select * from {{ ref('int_usage_events_validated') }}
    where not is_settled
),

deduplicated as (
    select * from {{ ref('int_usage_events_deduplicated') }}
),

resolved as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
),

final as (
    select
        validated.event_id,
        validated.source_file,
        validated.source_row,
        validated.transaction_id,
        validated.customer_ref,
        resolved.customer_id,
        validated.event_type,
        validated.event_timestamp,
        validated.received_at,
        case
            when validated.ingest_error_code is not null then 'ERRORED'
            when deduplicated.is_duplicate then 'DUPLICATE'
            when resolved.customer_id is null then 'ERRORED'
            else 'ACCEPTED'
        end as ingestion_outcome,
        coalesce(
            validated.ingest_error_code,
            case when not deduplicated.is_duplicate and resolved.customer_id is null then 'CUSTOMER_NOT_FOUND' end
        ) as error_code,
        deduplicated.duplicate_of_event_id
    from validated
    left join deduplicated on validated.event_id = deduplicated.event_id
    left join resolved on validated.event_id = resolved.event_id
)

select * from final
