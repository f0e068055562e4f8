-- One row per value listed in an alert's property filter (in_values or not_in_values), as
-- comparison text (rules 8: numbers in canonical decimal form).
with

filters as (
    select * from {{ ref('stg_billing__alert_property_filters') }}
),

in_values as (
    select
        alert_id,
        filter_index,
        'IN' as list_kind,
        {{ unnest('in_values') }} as value_json
    from filters
),

not_in_values as (
    select
        alert_id,
        filter_index,
        'NOT_IN' as list_kind,
        {{ unnest('not_in_values') }} as value_json
    from filters
),

final as (
    select
        alert_id,
        filter_index,
        list_kind,
        {{ json_value_text('value_json') }} as value_text
    from in_values
    union all
    select
        alert_id,
        filter_index,
        list_kind,
        {{ json_value_text('value_json') }} as value_text
    from not_in_values
)

select * from final
