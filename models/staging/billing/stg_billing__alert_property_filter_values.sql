-- One row per value listed in an alert's property filter (in_values or not_in_values), as
-- comparison text (rules 8: numbers in canonical decimal form).
with

filters as (
    select * from {{ ref('stg_billing__alert_property_filters') }}
),

final as (
    {{ property_filter_values('filters', 'alert_id') }}
)

select * from final
