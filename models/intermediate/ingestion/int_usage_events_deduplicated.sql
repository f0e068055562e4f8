-- One row per accepted event (rules 4.2): a DUPLICATE when the previous accepted event with the
-- same transaction_id was received at most `dedupe_window_days` before it. Each copy is
-- compared with the one just before it, so a chain of re-sends stays duplicate.
-- Narrow on purpose: only the receipt-order keys and the verdict; the event's other columns stay
-- in int_usage_events_validated (a history-sized table is written once, not copied per step).
with

accepted_events as (
    select * from {{ ref('int_usage_events_validated') }}
    where is_accepted
),

ordered as (
    select
        accepted_events.*,
        lag(received_at) over receipt_order as previous_received_at
    from accepted_events
    window receipt_order as (
        partition by transaction_id
        order by
            received_at, event_timestamp, properties_text nulls last, customer_ref nulls last,
            event_type nulls last, source_file, source_row
    )
),

flagged as (
    select
        ordered.*,
        previous_received_at is not null
        and received_at <= {{ dbt.dateadd('day', int_var('dedupe_window_days'), 'previous_received_at') }}
            as is_duplicate
    from ordered
),

final as (
    select
        flagged.event_id,
        flagged.transaction_id,
        flagged.received_at,
        flagged.previous_received_at,
        flagged.is_duplicate,
        -- the kept event a duplicate collapses into: the last kept copy before it
        case
            when is_duplicate
                then {{ last_value_ignore_nulls('case when not is_duplicate then event_id end') }} over receipts_so_far
        end as duplicate_of_event_id,
        flagged.is_settled
    from flagged
    window receipts_so_far as (
        partition by transaction_id
        order by
            received_at, event_timestamp, properties_text nulls last, customer_ref nulls last,
            event_type nulls last, source_file, source_row
        rows between unbounded preceding and current row
    )
)

select * from final
