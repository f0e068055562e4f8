{#- Property filters (`property_filters` of billable metrics and of alerts) are read one way
    wherever they appear: these macros hold that reading, the staging models name the owner. -#}

{#- A filter object's fields (`filter_json`: one element of `property_filters`). -#}
{% macro property_filter_fields(filter_json) %}
        {{ json_text(filter_json, '$.name') }} as property_name,
        -- true: must be present; false: must be absent; null: either
        {{ try_cast(json_text(filter_json, '$.exists'), 'boolean') }} as must_exist,
        {{ json_text(filter_json, '$.exists') }} as exists_text,
        {{ json_value(filter_json, '$.in_values') }} is not null as has_in_values,
        {{ json_value(filter_json, '$.not_in_values') }} is not null as has_not_in_values,
        {{ json_list(filter_json, '$.in_values') }} as in_values,
        {{ json_list(filter_json, '$.not_in_values') }} as not_in_values
{%- endmacro %}

{#- One row per value a filter lists (in_values: `IN`, not_in_values: `NOT_IN`) as comparison
    text (rules 8), from a staged filters relation whose owner is `owner_key`. -#}
{% macro property_filter_values(filters, owner_key) %}
{%- for list_kind, column in [('IN', 'in_values'), ('NOT_IN', 'not_in_values')] %}
    select
        {{ owner_key }},
        filter_index,
        '{{ list_kind }}' as list_kind,
        {{ json_value_text('value_json') }} as value_text
    from (
        select
            {{ owner_key }},
            filter_index,
            {{ unnest(column) }} as value_json
        from {{ filters }}
    ) as listed
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endmacro %}
