-- One row per property filter of an alert (all of an alert's filters must pass), read as a
-- billable metric's property filters are.
with

alerts as (
    select * from {{ ref('stg_billing__alerts') }}
),

filters as (
    select
        alert_id,
        {{ unnest_with_index('property_filters', 'filter_json', 'filter_index') }}
    from alerts
),

final as (
    select
        alert_id,
        filter_index,
        {{ json_text('filter_json', '$.name') }} as property_name,
        -- true: must be present; false: must be absent; null: either
        {{ try_cast(json_text('filter_json', '$.exists'), 'boolean') }} as must_exist,
        {{ json_text('filter_json', '$.exists') }} as exists_text,
        {{ json_value('filter_json', '$.in_values') }} is not null as has_in_values,
        {{ json_value('filter_json', '$.not_in_values') }} is not null as has_not_in_values,
        {{ json_list('filter_json', '$.in_values') }} as in_values,
        {{ json_list('filter_json', '$.not_in_values') }} as not_in_values
    from filters
)

select * from final
