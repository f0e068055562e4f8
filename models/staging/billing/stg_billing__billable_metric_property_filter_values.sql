-- One row per value listed in a property filter's in_values or not_in_values, as comparison
-- text (rules 8: numbers in canonical decimal form).
with

filters as (
    select * from {{ ref('stg_billing__billable_metric_property_filters') }}
),

final as (
    {{ property_filter_values('filters', 'billable_metric_id') }}
)

select * from final
