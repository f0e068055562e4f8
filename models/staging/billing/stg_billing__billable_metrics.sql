-- One row per line of billable_metrics.jsonl.
with

source_metrics as (
    {{ jsonl_objects(source('billing', 'billable_metrics'), 'billable_metrics.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as billable_metric_id,
        {{ json_text('json', '$.name') }} as billable_metric_name,
        -- a null filter admits every event type; an empty list admits none
        {{ json_value('json', '$.event_type_filter') }} is not null as has_event_type_filter,
        {{ json_list('json', '$.event_type_filter.in_values') }} as event_type_values,
        {{ json_list('json', '$.property_filters') }} as property_filters,
        upper({{ json_text('json', '$.aggregation_type') }}) as aggregation_type,
        {{ json_text('json', '$.aggregation_key') }} as aggregation_key,
        {{ json_value('json', '$.group_keys') }} as group_keys,
        line_number
    from source_metrics
)

select * from parsed
