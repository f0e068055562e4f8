{#- Spark implementations of the JSON macros of macros/parsing.sql. Spark has no JSON type: a
    "JSON value" is the value's JSON text (strings quoted, containers as compact JSON), which
    json_value_text turns into comparison text exactly as DuckDB's JSON functions do.
    Spark's get_json_object and from_json drop the quotes of strings, so whether a value is a
    string is probed separately (a from_json of the same path typed double / boolean). -#}

{#- '$.a.b' -> "struct<`a`: struct<`b`: double>>" and the accessor ".`a`.`b`" -#}
{% macro spark_json_path_probe(json, path, leaf_type) %}
    {%- set keys = path[2:].split('.') -%}
    {%- set schema = namespace(text=leaf_type) -%}
    {%- for key in keys | reverse -%}
        {%- set schema.text = 'struct<`' ~ key ~ '`: ' ~ schema.text ~ '>' -%}
    {%- endfor -%}
    {{- return("from_json(" ~ json ~ ", '" ~ schema.text ~ "')." ~ (keys | map('string') | join('.'))) -}}
{% endmacro %}

{#- A text as a JSON string literal (quoted, escaped); null stays null. -#}
{% macro spark__json_quote(text) %}
    regexp_extract(to_json(array({{ text }})), '^\\[(.*)\\]$', 1)
{% endmacro %}

{% macro spark__json_value(json, path) %}
    {%- set found = "get_json_object(" ~ json ~ ", '" ~ path ~ "')" -%}
    (case
        when {{ found }} is null then null
        when ({{ spark_json_path_probe(json, path, 'double') }} is not null and {{ found }} rlike '^-?[0-9]')
            or {{ spark_json_path_probe(json, path, 'boolean') }} is not null
            or {{ found }} rlike '^[\\[{]'
            then {{ found }}
        else {{ spark__json_quote(found) }}
    end)
{% endmacro %}

{% macro spark__json_text(json, path) %}
    {{ json_value_text(spark__json_value(json, path)) }}
{% endmacro %}

{#- The elements' JSON texts of the array at `path` (empty when absent or null). Arrays of
    scalars are split into their tokens (quotes kept); arrays of containers through from_json. -#}
{% macro spark__json_list(json, path) %}
    {%- set found = "get_json_object(" ~ json ~ ", '" ~ path ~ "')" -%}
    (case
        when {{ found }} is null or {{ found }} not like '[%' then cast(array() as array<string>)
        when {{ found }} rlike '^\\[\\s*\\]$' then cast(array() as array<string>)
        when substring(regexp_replace({{ found }}, '"(?:[^"\\\\]|\\\\.)*"', '""'), 2) not rlike '[\\[{]'
            then regexp_extract_all({{ found }}, '("(?:[^"\\\\]|\\\\.)*"|[^,\\[\\]]+)', 1)
        else from_json({{ found }}, 'array<string>')
    end)
{% endmacro %}

{% macro spark__json_value_text(json_value) %}
    (case
        when {{ json_value }} is null or {{ json_value }} = 'null' then null
        when {{ json_value }} like '"%' then from_json(concat('[', {{ json_value }}, ']'), 'array<string>')[0]
        when {{ json_value }} in ('true', 'false') then {{ json_value }}
        when {{ json_value }} rlike '^-?[0-9]+$' and cast({{ json_value }} as bigint) is not null
            then cast(cast({{ json_value }} as bigint) as string)
        when {{ json_value }} rlike '^-?[0-9]'
            then {{ canonical_decimal_text("format_string('%.14e', cast(" ~ json_value ~ " as double))") }}
        else {{ json_value }}
    end)
{% endmacro %}

{#- RFC 8259 object check: Spark's parser reads the first value only and accepts NaN and
    Infinity, so the text must also parse as exactly one array element, then the same lexical
    check as on DuckDB (plus single quotes, which Spark's parser accepts). -#}
{% macro spark__is_json_object(text) %}
    case
        when {{ text }} is null then null
        when from_json({{ text }}, 'map<string,string>') is null then false
        when coalesce(size(from_json(concat('[', {{ text }}, ']'), 'array<string>')), 0) <> 1 then false
        when not ({{ text }} rlike '(?i)nan|inf|,\\s*[\\]}]|\'') then true
        else not (regexp_replace(
                regexp_replace(
                    regexp_replace({{ text }}, '"(?:[^"\\\\]|\\\\.)*"', '""'),
                    '\\b(?:true|false|null)\\b', ''),
                '[0-9][eE]', '') rlike '[A-Za-z\']|,\\s*[\\]}]')
    end
{% endmacro %}

{% macro spark__has_duplicate_json_keys(json) %}
    (size(map_keys(from_json({{ json }}, 'map<string,string>')))
        <> size(array_distinct(map_keys(from_json({{ json }}, 'map<string,string>')))))
{% endmacro %}

{#- The JSON text of the value of one top-level key (an expression), last occurrence winning. -#}
{% macro spark__json_object_field_last(json, key) %}
    {%- set entry = "element_at(filter(map_entries(from_json(" ~ json ~ ", 'map<string,string>')), entry -> entry.key = " ~ key ~ "), -1).value" -%}
    (case
        when {{ entry }} is null then null
        when element_at(regexp_extract_all({{ json }}, concat('"\\Q', {{ key }}, '\\E"\\s*:\\s*(.)'), 1), -1) = '"'
            then {{ spark__json_quote(entry) }}
        else {{ entry }}
    end)
{% endmacro %}

{% macro spark__json_object_field(json, key) %}
    {{ spark__json_object_field_last(json, key) }}
{% endmacro %}

{% macro spark__json_object_text_field(json, key) %}
    element_at(from_json({{ json }}, 'map<string,string>'), {{ key }})
{% endmacro %}

{% macro spark__group_values_json(keys, values_map) %}
    '{' || array_join(
        transform(
            {{ keys }},
            group_key -> {{ spark__json_quote('group_key') }} || ':'
                || coalesce({{ spark__json_quote(values_map ~ '[group_key]') }}, 'null')
        ),
        ','
    ) || '}'
{% endmacro %}

{#- The top-level keys of a JSON object text, in order (null for null). -#}
{% macro json_keys(json) %}
    {{- return(adapter.dispatch('json_keys', 'rated_events')(json)) -}}
{% endmacro %}

{% macro default__json_keys(json) %}json_keys({{ json }}){% endmacro %}

{% macro spark__json_keys(json) %}map_keys(from_json({{ json }}, 'map<string,string>')){% endmacro %}

{#- The SQL type of JSON values (Spark stores their text). -#}
{% macro json_type_name() %}
    {{- return(adapter.dispatch('json_type_name', 'rated_events')()) -}}
{% endmacro %}

{% macro default__json_type_name() %}json{% endmacro %}

{% macro spark__json_type_name() %}string{% endmacro %}

{#- Spark reads every key through a map of the object's entries, which keeps the last duplicate:
    no direct-lookup branch is needed. -#}
{% macro spark__json_object_field_flagged(json, key, has_duplicate_keys) %}
    {{ spark__json_object_field_last(json, key) }}
{% endmacro %}
