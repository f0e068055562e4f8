-- One row per raw event received by as_of (SPEC 5): its single outcome, RATED, NOT_BILLABLE,
-- DUPLICATE or ERRORED, and the ids that lead to its rated events, the copy it duplicates, or
-- its error. Nothing is silently lost: the row count equals the raw events received by as_of.
with

outcomes as (
    select * from {{ ref('int_usage_event_outcomes') }}
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
        cast(rated_target_count as integer) as rated_target_count
    from outcomes
    order by received_at, source_file, source_row
)

select * from final
