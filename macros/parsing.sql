{#- Reading raw values by rules section 8. Engine differences live behind adapter.dispatch. -#}

{#- RFC 3339 text -> a struct of its text parts (all '' when the text does not have the shape).
    Used in a CTE of its own so that the regular expression runs once per row. -#}
{% macro rfc3339_parts(text) %}
    {{- return(adapter.dispatch('rfc3339_parts', 'rated_events')(text)) -}}
{% endmacro %}

{% macro default__rfc3339_parts(text) %}
    regexp_extract(
        {{ text }},
        '^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$',
        ['year', 'month', 'day', 'hour', 'minute', 'second', 'fraction', 'zone']
    )
{% endmacro %}

{#- The parts of rfc3339_parts -> UTC timestamp, or null when they are not a valid instant:
    no shape, year 0000, hour above 23, a leap second, an impossible date, an offset above
    23:59. Fractions beyond microseconds are truncated (rules 8). -#}
{% macro rfc3339_parts_to_utc(parts) %}
    {%- set zone = parts ~ ".zone" -%}
    {%- set offset_minutes -%}
        case when {{ zone }} in ('Z', 'z') then 0
            else (case when left({{ zone }}, 1) = '-' then -1 else 1 end)
                * (try_cast(substring({{ zone }}, 2, 2) as integer) * 60 + try_cast(substring({{ zone }}, 5, 2) as integer))
        end
    {%- endset -%}
    {%- set local_text -%}
        {{ parts }}.year || '-' || {{ parts }}.month || '-' || {{ parts }}.day || ' '
        || {{ parts }}.hour || ':' || {{ parts }}.minute || ':' || {{ parts }}.second || '.'
        || rpad(substring({{ parts }}.fraction, 2, 6), 6, '0')
    {%- endset -%}
    case
        when {{ parts }}.year = '' or {{ parts }}.year = '0000' then null
        when try_cast({{ parts }}.hour as integer) > 23
            or try_cast({{ parts }}.minute as integer) > 59
            or try_cast({{ parts }}.second as integer) > 59 then null
        when {{ zone }} not in ('Z', 'z')
            and (try_cast(substring({{ zone }}, 2, 2) as integer) > 23
                or try_cast(substring({{ zone }}, 5, 2) as integer) > 59) then null
        else {{ dbt.dateadd('minute', '-(' ~ offset_minutes ~ ')', try_cast(local_text, api.Column.translate_type('timestamp'))) }}
    end
{% endmacro %}

{#- True when the text is one JSON object by RFC 8259. DuckDB's parser also accepts NaN,
    Infinity and trailing commas; those are rejected here after blanking out string contents,
    on the rare rows whose text contains them at all. -#}
{% macro is_json_object(text) %}
    {{- return(adapter.dispatch('is_json_object', 'rated_events')(text)) -}}
{% endmacro %}

{% macro default__is_json_object(text) %}
    case
        when not coalesce(json_valid({{ text }}), false) then false
        when json_type({{ text }}) <> 'OBJECT' then false
        when not regexp_matches({{ text }}, '(?i)nan|inf|,\s*[\]}]') then true
        else not regexp_matches(
            regexp_replace(
                regexp_replace(
                    regexp_replace({{ text }}, '"(?:[^"\\]|\\.)*"', '""', 'g'),
                    '\b(?:true|false|null)\b', '', 'g'),
                '[0-9][eE]', '', 'g'),
            '[A-Za-z]|,\s*[\]}]')
    end
{% endmacro %}

{#- The comparison text of one JSON value (rules 8): a string as it is, a number in canonical
    decimal form (no exponent, no trailing zeros), true/false as words, null as SQL null. -#}
{% macro json_value_text(json_value) %}
    {{- return(adapter.dispatch('json_value_text', 'rated_events')(json_value)) -}}
{% endmacro %}

{% macro default__json_value_text(json_value) %}
    case json_type({{ json_value }})
        when 'NULL' then null
        when 'VARCHAR' then json_extract_string({{ json_value }}, '$')
        -- comparison text only, never arithmetic: rules 8 reads JSON numbers through binary
        -- floating point (exact to 15 significant digits), printed back as an exact decimal
        -- fast path: fmt's general format at 15 significant digits is the canonical text
        -- whenever it prints without an exponent (trailing zeros dropped; -0 reads 0); the rest
        -- goes the long way (tests/python/test_number_text.py checks both against rules 8)
        when 'DOUBLE' then case
            when format('{:.15g}', cast({{ json_value }} as double)) not like '%e%'
                then case
                    when cast({{ json_value }} as double) = 0 then '0'
                    else format('{:.15g}', cast({{ json_value }} as double))
                end
            else {{ canonical_decimal_text("format('{:.14e}', cast(" ~ json_value ~ " as double))") }}
        end
        -- a JSON integer -0 reads 0
        when 'BIGINT' then cast(cast({{ json_value }} as bigint) as varchar)
        else cast({{ json_value }} as varchar)
    end
{% endmacro %}

{#- Scientific text with 15 significant digits ('-1.23450000000000e-05') -> plain decimal
    text ('-0.0000123450'-> '-0.000012345'). JSON numbers are exact to 15 digits (rules 8).
    One body for DuckDB and Spark: trailing zeros go by regexp_replace, which both read alike
    (Spark's two-argument rtrim differs). -#}
{% macro canonical_decimal_text(scientific) %}
    {%- set mantissa = "split_part(" ~ scientific ~ ", 'e', 1)" -%}
    {%- set digits = "coalesce(nullif(regexp_replace(replace(replace(" ~ mantissa ~ ", '-', ''), '.', ''), '0+$', ''), ''), '0')" -%}
    {%- set point = "(cast(split_part(" ~ scientific ~ ", 'e', 2) as integer) + 1)" -%}
    case
        when {{ scientific }} not like '%e%' then {{ scientific }}
        when {{ digits }} = '0' then '0'
        else
            case when {{ mantissa }} like '-%' then '-' else '' end
            || case
                when {{ point }} <= 0 then '0.' || repeat('0', -{{ point }}) || {{ digits }}
                when {{ point }} >= length({{ digits }}) then {{ digits }} || repeat('0', {{ point }} - length({{ digits }}))
                else left({{ digits }}, {{ point }}) || '.' || substring({{ digits }}, {{ point }} + 1)
            end
    end
{% endmacro %}

{#- JSON field access on configuration objects: text of a scalar, or JSON of a sub-value. -#}
{% macro json_text(json, path) %}
    {{- return(adapter.dispatch('json_text', 'rated_events')(json, path)) -}}
{% endmacro %}

{% macro default__json_text(json, path) %}
    {{ json_value_text("json_extract(" ~ json ~ ", '" ~ path ~ "')") }}
{% endmacro %}

{% macro json_value(json, path) %}
    {{- return(adapter.dispatch('json_value', 'rated_events')(json, path)) -}}
{% endmacro %}

{% macro default__json_value(json, path) %}
    nullif(json_extract({{ json }}, '{{ path }}'), 'null')
{% endmacro %}

{#- A JSON array at `path` as a list of JSON values (empty list when absent or null). -#}
{% macro json_list(json, path) %}
    {{- return(adapter.dispatch('json_list', 'rated_events')(json, path)) -}}
{% endmacro %}

{% macro default__json_list(json, path) %}
    coalesce(json_extract({{ json }}, '{{ path }}[*]'), [])
{% endmacro %}

{#- A configuration decimal (JSON number or decimal string) as decimal(38, 12); null if absent. -#}
{% macro json_decimal(json, path) %}
    {{ try_cast(json_text(json, path), money_type()) }}
{% endmacro %}

{#- A configuration timestamp (RFC 3339 text) as a UTC timestamp; null if absent or invalid. -#}
{% macro json_timestamp(json, path) %}
    {#- a scalar subquery keeps the expanded expression small: the parts are named once -#}
    (
        select {{ rfc3339_parts_to_utc('timestamp_parts.parts') }}
        from (select {{ rfc3339_parts(json_text(json, path)) }} as parts) as timestamp_parts
    )
{% endmacro %}

{#- File name without its folder: provenance as a path relative to the raw folder. -#}
{% macro file_basename(path) %}
    {{- return(adapter.dispatch('file_basename', 'rated_events')(path)) -}}
{% endmacro %}

{% macro default__file_basename(path) %}
    regexp_extract({{ path }}, '[^/\\\\]+$')
{% endmacro %}

{#- True when a text is null, empty or only whitespace (rules 8: "missing"). -#}
{% macro is_blank(text) %}
    ({{ text }} is null or {{ regexp_like(text, '^\s*$') }})
{% endmacro %}

{#- Cumulative tier bounds from tier sizes, for any relation of (key, tier_index, tier_size,
    tier_price): tier 1 has no lower bound, the last tier no upper bound. -#}
{% macro tier_bounds(relation, key_column) %}
,

tier_bounds as (
    select
        {{ key_column }},
        tier_index,
        tier_size,
        tier_price,
        sum(tier_size) over (
            partition by {{ key_column }} order by tier_index
            rows between unbounded preceding and 1 preceding
        ) as cumulative_size_before
    from {{ relation }}
),

final as (
    select
        {{ key_column }},
        tier_index,
        tier_size,
        tier_price,
        case when tier_index > 1 then coalesce(cumulative_size_before, 0) end as lower_bound,
        case when tier_size is not null then coalesce(cumulative_size_before, 0) + tier_size end as upper_bound
    from tier_bounds
)

select * from final
{% endmacro %}

{#- A cast that yields null instead of failing (dbt's safe_cast is a plain cast on DuckDB). -#}
{% macro try_cast(value, type) %}
    {{- return(adapter.dispatch('try_cast', 'rated_events')(value, type)) -}}
{% endmacro %}

{% macro default__try_cast(value, type) %}
    try_cast({{ value }} as {{ type }})
{% endmacro %}

{#- The JSON value of one top-level key of an object text (key given as an expression),
    or null when absent. Used where keys appear at most once. -#}
{% macro json_object_field(json, key) %}
    {{- return(adapter.dispatch('json_object_field', 'rated_events')(json, key)) -}}
{% endmacro %}

{% macro default__json_object_field(json, key) %}
    {#- a JSON Pointer (RFC 6901) names any key exactly: dots, quotes, backslashes, even '' -#}
    json_extract({{ json }}, '/' || replace(replace({{ key }}, '~', '~0'), '/', '~1'))
{% endmacro %}

{#- The same for an object that repeats keys: the last occurrence wins (rules 8). -#}
{% macro json_object_field_last(json, key) %}
    {{- return(adapter.dispatch('json_object_field_last', 'rated_events')(json, key)) -}}
{% endmacro %}

{% macro default__json_object_field_last(json, key) %}
    (
        select cast(entries.value as json)
        from json_each({{ json }}) as entries
        where entries.key = {{ key }}
        order by entries.id desc
        limit 1
    )
{% endmacro %}

{#- The JSON value of one top-level key (an expression) of an object text, in one expression
    that fits inside a lambda: where the boolean `has_duplicate_keys` holds (has_duplicate_json_keys,
    computed once per row by the caller), the last occurrence wins (rules 8); otherwise a direct
    lookup. Lets a model read every row in one pass instead of joining the rare objects that
    repeat a key back onto the rest. -#}
{% macro json_object_field_flagged(json, key, has_duplicate_keys) %}
    {{- return(adapter.dispatch('json_object_field_flagged', 'rated_events')(json, key, has_duplicate_keys)) -}}
{% endmacro %}

{% macro default__json_object_field_flagged(json, key, has_duplicate_keys) %}
    {#- values and keys in document order, both reversed: the first match is the last key -#}
    case
        when {{ has_duplicate_keys }}
            then list_reverse(json_extract({{ json }}, '$.*'))[list_position(list_reverse(json_keys({{ json }})), {{ key }})]
        else {{ json_object_field(json, key) }}
    end
{% endmacro %}

{#- True when a JSON object text repeats a top-level key. -#}
{% macro has_duplicate_json_keys(json) %}
    {{- return(adapter.dispatch('has_duplicate_json_keys', 'rated_events')(json)) -}}
{% endmacro %}

{% macro default__has_duplicate_json_keys(json) %}
    (len(json_keys({{ json }})) <> len(list_distinct(json_keys({{ json }}))))
{% endmacro %}

{#- A text as a JSON string literal (quoted and escaped); null stays null. -#}
{% macro json_quote(text) %}
    {{- return(adapter.dispatch('json_quote', 'rated_events')(text)) -}}
{% endmacro %}

{% macro default__json_quote(text) %}
    cast(to_json({{ text }}) as varchar)
{% endmacro %}

{#- The text of one field of a JSON object built by the project (keys given as an expression). -#}
{% macro json_object_text_field(json, key) %}
    {{- return(adapter.dispatch('json_object_text_field', 'rated_events')(json, key)) -}}
{% endmacro %}

{% macro default__json_object_text_field(json, key) %}
    json_extract_string({{ json }}, '/' || replace(replace({{ key }}, '~', '~0'), '/', '~1'))
{% endmacro %}

{#- A comparison text as an exact decimal when it is numeric by rules 8 (a plain decimal whose
    absolute value is below 10^26, numbers having been written in canonical form), else null. -#}
{% macro numeric_value(text) %}
    {{- return(adapter.dispatch('numeric_value', 'rated_events')(text)) -}}
{% endmacro %}

{% macro default__numeric_value(text) %}
    case
        when regexp_matches({{ text }}, '^-?[0-9]+(\.[0-9]+)?$')
            and length(ltrim(split_part(ltrim({{ text }}, '-'), '.', 1), '0')) <= 26
            then {{ try_cast(text, 'decimal(38, 12)') }}
    end
{% endmacro %}

{#- A JSON object text of the given keys (a list column) with their values looked up in a
    map of comparison texts: '{"model":"a","region":null}'; '{}' for no keys. -#}
{% macro group_values_json(keys, values_map) %}
    {{- return(adapter.dispatch('group_values_json', 'rated_events')(keys, values_map)) -}}
{% endmacro %}

{% macro default__group_values_json(keys, values_map) %}
    '{' || array_to_string(
        list_transform(
            {{ keys }},
            lambda group_key: {{ json_quote('group_key') }} || ':'
                || coalesce({{ json_quote(values_map ~ '[group_key]') }}, 'null')
        ),
        ','
    ) || '}'
{% endmacro %}
