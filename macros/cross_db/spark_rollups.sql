{#- Spark implementations of the dispatched macros of macros/rollups.sql. -#}

{% macro spark__rollup_identifier(name) %}
{%- if '\x00' in name -%}
    {{ exceptions.raise_compiler_error("spend_rollup: a column name cannot contain a NUL character: " ~ (name | tojson)) }}
{%- endif -%}
{{- return('`' ~ (name | replace('`', '``')) ~ '`') -}}
{% endmacro %}

{% macro spark__json_object_value(json, key, has_duplicate_keys) %}
    {{- return(spark__json_object_field_last(json, spark_string_literal(key))) -}}
{% endmacro %}

{% macro spark__timestamp_series(datepart, start_at, end_at, relation, column_name) %}
    select explode(sequence(cast({{ start_at }} as timestamp), cast({{ end_at }} as timestamp), interval 1 {{ datepart }})) as {{ column_name }}
    from {{ relation }}
{% endmacro %}
