{#- A deterministic id from a list of column expressions: md5 of their text joined with a
    separator that cannot appear in ids, nulls spelled out so (null, 'a') <> ('a', null). -#}
{% macro hash_id(expressions) %}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append("coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
    {%- endfor -%}
    {{ dbt.hash(parts | join(" || '|' || ")) }}
{% endmacro %}
