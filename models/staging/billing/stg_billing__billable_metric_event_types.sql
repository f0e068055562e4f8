-- One row per (billable metric, event type) admitted by its event_type_filter.
with

metrics as (
    select * from {{ ref('stg_billing__billable_metrics') }}
),

event_types as (
    select
        billable_metric_id,
        {{ unnest('event_type_values') }} as event_type_json
    from metrics
),

final as (
    select
        billable_metric_id,
        {{ json_value_text('event_type_json') }} as event_type
    from event_types
)

select * from final
