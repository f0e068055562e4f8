{#- The first entry of a precedence list that applies at `at`: its window [starting_at,
    ending_before) holds `at` and every one of its required values equals the row's own value
    for that key. `entries` is a list of structs in order of precedence, each with
    `starting_at`, `ending_before`, `required_values` (a list of structs with `value_text`) and
    the count field named by `required_count`; `entry` names the lambda variable;
    `row_value` is the row's value for one required entry, an expression in `required` (a
    missing key or a null value never equals). Null when no entry applies. Used for a rating
    target's rate and a rated event's unit cost. -#}
{% macro first_applicable(entries, entry, at, row_value, required_count) %}
    {%- set matched_values = list_length(list_filter(
        entry ~ '.required_values',
        'required -> ' ~ row_value ~ ' = required.value_text'
    )) -%}
    {{- list_element(list_filter(
        entries,
        entry ~ ' -> ' ~ at ~ ' >= ' ~ entry ~ '.starting_at'
        ~ ' and (' ~ entry ~ '.ending_before is null or ' ~ at ~ ' < ' ~ entry ~ '.ending_before)'
        ~ ' and coalesce(' ~ matched_values ~ ', 0) = ' ~ entry ~ '.' ~ required_count
    ), 1) -}}
{% endmacro %}
