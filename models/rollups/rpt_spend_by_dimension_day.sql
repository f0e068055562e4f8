-- noqa: disable=LT02
-- One row per (event property key of var rollup_dimensions, its value, UTC day, credit type)
-- with rated events, draft and finalized together: one long view for every dimension, so a new
-- key is a var change, not a new model. A row's value is null where events lack the key.
{%- set dimension_keys = var('rollup_dimensions') %}
{%- if not dimension_keys %}
    {{ exceptions.raise_compiler_error('var rollup_dimensions must list at least one property key') }}
{%- endif %}
with
{% for dimension_key in dimension_keys %}
{{ 'dimension_' ~ loop.index }} as (
    {{ spend_rollup(
        'day',
        [{'property': dimension_key, 'name': 'dimension_value'}, 'credit_type_id'],
        status='all',
    ) | trim | indent(4) }}
),
{% endfor %}
final as (
    {%- for dimension_key in dimension_keys %}
    select
        {{ rollup_string_literal(dimension_key) }} as dimension_key,
        {{ 'dimension_' ~ loop.index }}.dimension_value,
        {{ 'dimension_' ~ loop.index }}.period_start,
        {{ 'dimension_' ~ loop.index }}.credit_type_id,
        {{ 'dimension_' ~ loop.index }}.amount,
        {{ 'dimension_' ~ loop.index }}.overage_amount,
        {{ 'dimension_' ~ loop.index }}.covered_amount,
        {{ 'dimension_' ~ loop.index }}.quantity,
        {{ 'dimension_' ~ loop.index }}.rated_event_count,
        {{ 'dimension_' ~ loop.index }}.usage_event_count
    from {{ 'dimension_' ~ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
