-- One row per raw event received by as_of (SPEC 4.1), with the ingestion-level error code of
-- the first check it fails (SPEC 6 order), or null when it is accepted for deduplication.
with

events as (
    select * from {{ ref('stg_raw__events') }}
),

received as (
    -- events received after as_of do not exist yet; a missing received_at cannot be placed
    -- in time and is kept as malformed rather than lost
    select *
    from events
    where received_at is null or received_at <= {{ as_of_timestamp() }}
),

validated as (
    select
        received.*,
        case
            when received.is_missing_transaction_id
                or received.is_missing_customer_ref
                or received.is_missing_event_type
                or received.event_timestamp is null
                or not received.has_object_properties
                or received.received_at is null
                then 'MALFORMED_EVENT'
            when received.event_timestamp
                > {{ dbt.dateadd('hour', int_var('max_future_hours'), 'received.received_at') }}
                then 'TIMESTAMP_IN_FUTURE'
            when received.event_timestamp
                < {{ dbt.dateadd('day', -int_var('max_backdate_days'), 'received.received_at') }}
                then 'TIMESTAMP_TOO_OLD'
        end as ingest_error_code
    from received
),

final as (
    select
        *,
        ingest_error_code is null as is_accepted
    from validated
)

select * from final
