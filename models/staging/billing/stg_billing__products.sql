-- One row per line of products.jsonl.
with

source_products as (
    {{ jsonl_objects(source('billing', 'products'), 'products.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as product_id,
        {{ json_text('json', '$.name') }} as product_name,
        upper({{ json_text('json', '$.type') }}) as product_type,
        {{ json_text('json', '$.billable_metric_id') }} as billable_metric_id,
        {{ json_decimal('json', '$.quantity_conversion.conversion_factor') }} as conversion_factor,
        upper({{ json_text('json', '$.quantity_conversion.operation') }}) as conversion_operation,
        {{ try_cast(json_text('json', '$.quantity_rounding.decimal_places'), 'integer') }} as rounding_decimal_places,
        {{ json_text('json', '$.quantity_rounding.decimal_places') }} as rounding_decimal_places_text,
        upper({{ json_text('json', '$.quantity_rounding.rounding_method') }}) as rounding_method,
        {{ json_list('json', '$.pricing_group_key') }} as pricing_group_key_values,
        {{ json_list('json', '$.presentation_group_key') }} as presentation_group_key_values,
        {{ json_list('json', '$.tags') }} as tag_values,
        line_number
    from source_products
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
        rounding_decimal_places_text,
        {{ list_transform('pricing_group_key_values', 'v -> ' ~ json_value_text('v')) }} as pricing_group_key,
        {{ list_transform('presentation_group_key_values', 'v -> ' ~ json_value_text('v')) }} as presentation_group_key,
        {{ list_transform('tag_values', 'v -> ' ~ json_value_text('v')) }} as tags,
        line_number
    from parsed
)

select * from final
