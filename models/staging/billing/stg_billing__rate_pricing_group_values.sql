-- One row per (rate, pricing group key) the rate names, with its comparison text.
with

rates as (
    select * from {{ ref('stg_billing__rates') }}
),

named_keys as (
    select
        rate_id,
        pricing_group_values,
        {{ unnest(json_keys('pricing_group_values')) }} as pricing_group_key
    from rates
    where pricing_group_values is not null
),

final as (
    select
        rate_id,
        pricing_group_key,
        {{ json_value_text(json_object_field('pricing_group_values', 'pricing_group_key')) }} as value_text
    from named_keys
)

select * from final
