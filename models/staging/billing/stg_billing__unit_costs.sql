-- One row per line of the optional unit_costs.jsonl: what one unit of a product costs the
-- platform, for events whose properties match `dimension_values`, over a time window. Used
-- by margin reports only, never by billing. Without the file: no rows.
{%- set unit_costs_source = source('billing', 'unit_costs') %}
with

source_unit_costs as (
    {{ optional_jsonl_objects(unit_costs_source, 'unit_costs.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.product_id') }} as product_id,
        {{ json_value('json', '$.dimension_values') }} as dimension_values,
        {{ json_decimal('json', '$.cost_per_unit') }} as cost_per_unit,
        {{ json_timestamp('json', '$.starting_at') }} as starting_at,
        {{ json_timestamp('json', '$.ending_before') }} as ending_before,
        line_number
    from source_unit_costs
),

final as (
    select
        {{ hash_id(["'unit_costs'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']) }} as unit_cost_id,
        product_id,
        coalesce(dimension_values, cast('{}' as {{ json_type_name() }})) as dimension_values,
        coalesce({{ list_length(json_keys('dimension_values')) }}, 0) as dimension_count,
        cost_per_unit,
        starting_at,
        ending_before,
        line_number
    from parsed
)

select * from final
