-- One row per (override specifier, pricing group key) the specifier names.
with

specifiers as (
    select * from {{ ref('stg_billing__override_specifiers') }}
),

named_keys as (
    select
        override_id,
        specifier_index,
        pricing_group_values,
        {{ unnest(json_keys('pricing_group_values')) }} as pricing_group_key
    from specifiers
    where pricing_group_values is not null
),

final as (
    select
        override_id,
        specifier_index,
        pricing_group_key,
        {{ json_value_text(json_object_field('pricing_group_values', 'pricing_group_key')) }} as value_text
    from named_keys
)

select * from final
