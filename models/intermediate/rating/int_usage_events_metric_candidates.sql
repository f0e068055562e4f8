-- One row per (kept event with a known customer, billable metric whose event_type_filter
-- admits the event's type). Property filters are applied next, in
-- int_usage_events_metric_matched.
-- Read only by int_usage_events_metric_matched: a view on DuckDB (docs block `pipelined_steps`).
{{ config(materialized=pipelined_step()) }}

with

events as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
    where customer_id is not null
),

metrics as (
    select * from {{ ref('stg_billing__billable_metrics') }}
),

metric_event_types as (
    select * from {{ ref('stg_billing__billable_metric_event_types') }}
),

for_every_type as (
    select
        events.event_id,
        metrics.billable_metric_id
    from events
    cross join metrics
    where not metrics.has_event_type_filter
),

for_listed_types as (
    select
        events.event_id,
        metric_event_types.billable_metric_id
    from events
    inner join metric_event_types on events.event_type = metric_event_types.event_type
),

final as (
    select * from for_every_type
    union
    select * from for_listed_types
)

select * from final
