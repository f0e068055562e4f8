-- Nothing is silently lost (rules 5): every raw event received by as_of (received_at <= as_of,
-- or no received_at at all) has exactly one row in fct_event_outcomes, and the mart has no
-- other rows. Returns a count mismatch, each event missing or extra, and each event_id that
-- appears more than once.
with

raw_events as (
    select * from {{ ref('stg_usage__events') }}
    where received_at <= {{ as_of_timestamp() }}
        or received_at is null
),

outcomes as (
    select * from {{ ref('fct_event_outcomes') }}
),

counts as (
    select
        (select count(*) from raw_events) as raw_event_count,
        (select count(*) from outcomes) as outcome_count
),

count_mismatch as (
    select
        'ROW_COUNT_DIFFERS' as problem,
        cast(null as {{ dbt.type_string() }}) as event_id,
        raw_event_count,
        outcome_count
    from counts
    where raw_event_count <> outcome_count
),

missing_outcomes as (
    select
        'NO_OUTCOME' as problem,
        raw_events.event_id,
        cast(null as bigint) as raw_event_count,
        cast(null as bigint) as outcome_count
    from raw_events
    left join outcomes on raw_events.event_id = outcomes.event_id
    where outcomes.event_id is null
),

unknown_outcomes as (
    select
        'OUTCOME_WITHOUT_RECEIVED_EVENT' as problem,
        outcomes.event_id,
        cast(null as bigint) as raw_event_count,
        cast(null as bigint) as outcome_count
    from outcomes
    left join raw_events on outcomes.event_id = raw_events.event_id
    where raw_events.event_id is null
),

repeated_outcomes as (
    select
        'MORE_THAN_ONE_OUTCOME' as problem,
        event_id,
        cast(null as bigint) as raw_event_count,
        count(*) as outcome_count
    from outcomes
    group by event_id
    having count(*) > 1
)

select * from count_mismatch
union all
select * from missing_outcomes
union all
select * from unknown_outcomes
union all
select * from repeated_outcomes
