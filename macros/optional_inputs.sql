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
