-- One row per (billable metric, property key) that rating reads for events of that metric:
-- its property filters, its aggregation key, the pricing and presentation group keys of its
-- products, and every key an override specifier names (specifiers compare event property
-- values, rules 4.8). Only these keys are ever extracted from event properties.
with

metrics as (
    select * from {{ ref('stg_billing__billable_metrics') }}
),

filters as (
    select * from {{ ref('stg_billing__billable_metric_property_filters') }}
),

products as (
    select * from {{ ref('stg_billing__products') }}
),

specifier_values as (
    select * from {{ ref('stg_billing__override_specifier_pricing_group_values') }}
),

filter_keys as (
    select
        billable_metric_id,
        property_name as property_key
    from filters
),

aggregation_keys as (
    select
        billable_metric_id,
        aggregation_key as property_key
    from metrics
    where aggregation_type <> 'COUNT'
),

pricing_keys as (
    select
        billable_metric_id,
        {{ unnest('pricing_group_key') }} as property_key
    from products
),

presentation_keys as (
    select
        billable_metric_id,
        {{ unnest('presentation_group_key') }} as property_key
    from products
),

specifier_keys as (
    select distinct
        products.billable_metric_id,
        specifier_values.pricing_group_key as property_key
    from products
    cross join specifier_values
),

all_keys as (
    select * from filter_keys
    union
    select * from aggregation_keys
    union
    select * from pricing_keys
    union
    select * from presentation_keys
    union
    select * from specifier_keys
),

final as (
    select distinct
        billable_metric_id,
        property_key
    from all_keys
    where billable_metric_id is not null and property_key is not null
)

select * from final
