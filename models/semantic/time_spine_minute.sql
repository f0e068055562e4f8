-- One row per UTC minute from the start of the day of the earliest rated event to the end of the
-- day of the latest: MetricFlow's time spine at its finest grain (metric_time down to minute).
with

rated_events as (
    select * from {{ ref('sem_rated_events') }}
),

bounds as (
    select
        {{ dbt.date_trunc('day', 'min(rated_events.event_timestamp)') }} as first_minute_at,
        {{ dbt.dateadd('minute', -1, dbt.dateadd('day', 1, dbt.date_trunc('day', 'max(rated_events.event_timestamp)'))) }}
            as last_minute_at
    from rated_events
),

final as (
    {{ timestamp_series('minute', 'bounds.first_minute_at', 'bounds.last_minute_at', 'bounds', 'minute_at') }}
)

select * from final
