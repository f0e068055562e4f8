-- One row per property filter of a billable metric (all of a metric's filters must pass).
with

metrics as (
    select * from {{ ref('stg_billing__billable_metrics') }}
),

filters as (
    select
        billable_metric_id,
        {{ unnest_with_index('property_filters', 'filter_json', 'filter_index') }}
    from metrics
),

final as (
    select
        billable_metric_id,
        filter_index,
        {{ property_filter_fields('filter_json') }}
    from filters
)

select * from final
