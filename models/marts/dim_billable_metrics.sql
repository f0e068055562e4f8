-- One row per billable metric (billable_metrics.jsonl): how it aggregates, which event types
-- it admits and how many property filters an event must pass.
with

metrics as (
    select * from {{ ref('stg_billing__billable_metrics') }}
),

event_types as (
    select * from {{ ref('stg_billing__billable_metric_event_types') }}
),

property_filters as (
    select * from {{ ref('stg_billing__billable_metric_property_filters') }}
),

event_type_lists as (
    select
        billable_metric_id,
        -- a type listed twice admits nothing more: list it once
        {{ sorted_list_agg('event_type', distinct=true) }} as event_type_values
    from event_types
    group by billable_metric_id
),

filter_counts as (
    select
        billable_metric_id,
        count(*) as property_filter_count
    from property_filters
    group by billable_metric_id
),

final as (
    select
        metrics.billable_metric_id,
        metrics.billable_metric_name,
        metrics.aggregation_type,
        metrics.aggregation_key,
        metrics.has_event_type_filter,
        -- null = every event type; an empty list (a filter with no values) admits none
        case
            when metrics.has_event_type_filter
                then cast(to_json(coalesce(event_type_lists.event_type_values, {{ empty_text_list() }})) as {{ json_type_name() }})
        end as event_type_filter_values,
        cast(coalesce(filter_counts.property_filter_count, 0) as integer) as property_filter_count,
        cast(metrics.group_keys as {{ json_type_name() }}) as group_keys
    from metrics
    left join event_type_lists on metrics.billable_metric_id = event_type_lists.billable_metric_id
    left join filter_counts on metrics.billable_metric_id = filter_counts.billable_metric_id
    order by metrics.billable_metric_id
)

select * from final
