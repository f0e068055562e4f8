{#- Fails when any of `columns` holds a null: returns one row per such column with how many rows
    hold it. One pass over the model checks every column, where a `not_null` test per column
    would read the model once each (a history-sized table, read twenty times, dominates a
    build's test time). -#}
{% test not_null_columns(model, columns) %}

with null_counts as (

    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}

)

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    {{ column }} as null_count
from null_counts
where {{ column }} > 0
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}

{% endtest %}
