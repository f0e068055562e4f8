-- One row per product (products.jsonl): what it is rated from, how its quantity is converted
-- and rounded, which properties split its pricing and presentation, and its tags.
with

products as (
    select * from {{ ref('stg_billing__products') }}
),

final as (
    select
        product_id,
        product_name,
        product_type,
        billable_metric_id,
        conversion_factor,
        conversion_operation,
        rounding_decimal_places,
        rounding_method,
        -- lists as JSON text, so every BI tool and the Spark target can read them
        cast(to_json(pricing_group_key) as {{ json_type_name() }}) as pricing_group_key,
        cast(to_json(presentation_group_key) as {{ json_type_name() }}) as presentation_group_key,
        cast(to_json(tags) as {{ json_type_name() }}) as tags
    from products
    order by product_id
)

select * from final
