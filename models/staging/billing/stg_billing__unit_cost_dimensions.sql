-- One row per (unit cost, dimension key) its dimension_values name, with the comparison text
-- of the value (rules 8: strings as they are, numbers canonical).
with

unit_costs as (
    select * from {{ ref('stg_billing__unit_costs') }}
),

named_keys as (
    select
        unit_cost_id,
        dimension_values,
        {{ unnest(json_keys('dimension_values')) }} as dimension_key
    from unit_costs
),

final as (
    select
        unit_cost_id,
        dimension_key,
        {{ json_value_text(json_object_field('dimension_values', 'dimension_key')) }} as value_text
    from named_keys
)

select * from final
