{#- Whether a raw input file exists (for optional inputs such as unit_costs.jsonl): asked at
    run time, since readers fail on a path that matches nothing. False while parsing. -#}
{% macro raw_file_exists(file_name) %}
    {{- return(adapter.dispatch('raw_file_exists', 'rated_events')(file_name)) -}}
{% endmacro %}

{% macro default__raw_file_exists(file_name) %}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set path = raw_input_folder() ~ '/' ~ file_name -%}
    {%- set found = run_query("select count(*) from glob('" ~ (path | replace("'", "''")) ~ "')") -%}
    {{- return(found.columns[0].values()[0] > 0) -}}
{% endmacro %}

{#- An optional configuration file's objects, as jsonl_objects reads them (line_number, json),
    or no rows when the file is absent (alerts.jsonl, unit_costs.jsonl). -#}
{% macro optional_jsonl_objects(relation, file_name) %}
    {%- if raw_file_exists(file_name) -%}
        {{ jsonl_objects(relation, file_name) }}
    {%- else -%}
        -- {{ file_name }} is optional: nothing to read
        select
            cast(null as bigint) as line_number,
            cast(null as {{ json_type_name() }}) as json
        where 1 = 0
    {%- endif -%}
{% endmacro %}
