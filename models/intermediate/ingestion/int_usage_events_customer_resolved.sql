-- One row per kept (non-duplicate) accepted event this run decides, with its customer resolved through customer
-- ids and ingest aliases; `customer_id` is null when none matches (CUSTOMER_NOT_FOUND).
with

duplicates as (
    select event_id
    from {{ ref('int_usage_events_deduplicated') }}
    where is_duplicate
),

kept_events as (
    select * from {{ ref('int_usage_events_validated') }}
    -- settled copies only served as deduplication context: their outcomes are recorded
    where
        is_accepted
        and not is_settled
        and event_id not in (select duplicates.event_id from duplicates)
),

customer_refs as (
    select * from {{ ref('int_customer_refs') }}
),

final as (
    select
        kept_events.event_id,
        kept_events.source_file,
        kept_events.source_row,
        kept_events.transaction_id,
        kept_events.customer_ref,
        customer_refs.customer_id,
        customer_refs.ref_kind as customer_ref_kind,
        kept_events.event_type,
        kept_events.event_timestamp,
        kept_events.properties_text,
        kept_events.received_at
    from kept_events
    left join customer_refs on kept_events.customer_ref = customer_refs.customer_ref
)

select * from final
