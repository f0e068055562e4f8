{#- Fails when two rows share one combination of `columns`: returns one row per duplicated key
    with how many rows carry it. Nulls group together, so (null, 1) twice is a duplicate. -#}
{% test unique_combination(model, columns) %}

select
    {%- for column in columns %}
    {{ column }},
    {%- endfor %}
    count(*) as duplicate_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
