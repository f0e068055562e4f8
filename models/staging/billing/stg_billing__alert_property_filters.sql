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
        {{ property_filter_fields('filter_json') }}
    from filters
)

select * from final
