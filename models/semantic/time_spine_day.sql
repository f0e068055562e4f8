-- One row per UTC day from the earliest rated event's day to the latest's: MetricFlow's day time
-- spine (cumulative and offset metrics at day grain and coarser join this smaller spine).
with

rated_events as (
    select * from {{ ref('sem_rated_events') }}
),

bounds as (
    select
        {{ dbt.date_trunc('day', 'min(rated_events.event_timestamp)') }} as first_day_at,
        {{ dbt.date_trunc('day', 'max(rated_events.event_timestamp)') }} as last_day_at
    from rated_events
),

final as (
    {{ timestamp_series('day', 'bounds.first_day_at', 'bounds.last_day_at', 'bounds', 'date_day') }}
)

select * from final
