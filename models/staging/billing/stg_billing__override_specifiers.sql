-- One row per override specifier. An override applies to a rate if any specifier matches; a
-- specifier matches if all of its given fields match (null fields are not given).
with

overrides as (
    select * from {{ ref('stg_billing__overrides') }}
),

specifiers as (
    select
        override_id,
        {{ unnest_with_index('override_specifiers', 'specifier_json', 'specifier_index') }}
    from overrides
),

final as (
    select
        override_id,
        cast(specifier_index as integer) as specifier_index,
        {{ json_text('specifier_json', '$.product_id') }} as product_id,
        {{ json_value('specifier_json', '$.product_tags') }} is not null as has_product_tags,
        {{ list_transform(json_list('specifier_json', '$.product_tags'), 'v -> ' ~ json_value_text('v')) }}
            as product_tags,
        {{ json_value('specifier_json', '$.pricing_group_values') }} as pricing_group_values,
        coalesce({{ list_length(json_keys(json_value('specifier_json', '$.pricing_group_values'))) }}, 0)
            as named_key_count
    from specifiers
)

select * from final
