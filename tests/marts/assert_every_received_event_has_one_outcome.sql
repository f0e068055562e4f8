-- Nothing is silently lost (rules 5): every raw event received by as_of (received_at <= as_of,
-- or no received_at at all) has exactly one row in fct_event_outcomes, and the mart has no
-- other rows. Returns each event missing from the outcomes, each outcome of no received event,
-- and each event_id with more than one outcome or received more than once (the row counts
-- then differ too). One pass over both sides: their event ids tallied together, not joined
-- both ways (each side is history-sized, and DuckDB holds a relation read twice in memory).
with

raw_events as (
    select event_id from {{ ref('stg_usage__events') }}
    where received_at <= {{ as_of_timestamp() }}
        or received_at is null
),

outcomes as (
    select event_id from {{ ref('fct_event_outcomes') }}
),

both_sides as (
    select
        event_id,
        1 as raw_rows,
        0 as outcome_rows
    from raw_events
    union all
    select
        event_id,
        0 as raw_rows,
        1 as outcome_rows
    from outcomes
),

tallied as (
    select
        event_id,
        sum(raw_rows) as raw_event_count,
        sum(outcome_rows) as outcome_count
    from both_sides
    group by event_id
),

final as (
    select
        case
            when outcome_count = 0 then 'NO_OUTCOME'
            when raw_event_count = 0 then 'OUTCOME_WITHOUT_RECEIVED_EVENT'
            when outcome_count > 1 then 'MORE_THAN_ONE_OUTCOME'
            else 'RECEIVED_MORE_THAN_ONCE'
        end as problem,
        event_id,
        raw_event_count,
        outcome_count
    from tallied
    where raw_event_count <> 1 or outcome_count <> 1
)

select * from final
