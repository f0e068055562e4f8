{#- Spark implementations of engine-specific expressions (DuckDB's are the default__ ones).
    Spark string literals unescape backslashes, so regular expressions double them here. -#}

{#- dbt-spark's dateadd goes through unix seconds (dropping microseconds) and fails on null;
    timestampadd is exact. Found first through the dispatch search order in dbt_project.yml. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
    timestampadd({{ datepart | upper }}, {{ interval }}, {{ from_date_or_timestamp }})
{% endmacro %}

{% macro spark__rfc3339_parts(text) %}
    {%- set pattern = "'^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\\\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$'" -%}
    named_struct(
        {%- for name in ['year', 'month', 'day', 'hour', 'minute', 'second', 'fraction', 'zone'] %}
        '{{ name }}', regexp_extract({{ text }}, {{ pattern }}, {{ loop.index }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{% endmacro %}

{% macro spark__file_basename(path) %}
    regexp_extract({{ path }}, '[^/\\\\]+$', 0)
{% endmacro %}

{#- True when a text matches a regular expression (given as a Jinja string, written for
    DuckDB's RE2; the patterns used are the same in Java's syntax). -#}
{% macro regexp_like(text, pattern) %}
    {{- return(adapter.dispatch('regexp_like', 'rated_events')(text, pattern)) -}}
{% endmacro %}

{% macro default__regexp_like(text, pattern) %}
    regexp_matches({{ text }}, '{{ pattern }}')
{% endmacro %}

{% macro spark__regexp_like(text, pattern) %}
    ({{ text }} rlike '{{ pattern | replace("\\", "\\\\") }}')
{% endmacro %}

{% macro spark__numeric_value(text) %}
    case
        when {{ text }} rlike '^-?[0-9]+(\\.[0-9]+)?$'
            and length(regexp_replace(split_part(regexp_replace({{ text }}, '^-+', ''), '.', 1), '^0+', '')) <= 26
            then {{ try_cast(text, 'decimal(38, 12)') }}
    end
{% endmacro %}

{#- list/array functions. A lambda is written once, as `'v -> body'` (Spark's syntax); on DuckDB
    it becomes `lambda v: body`, the only form DuckDB 2.0 accepts by default (1.3 and later read
    it too). -#}
{% macro duckdb_lambda(lambda) %}
    {%- set parts = modules.re.match('(?s)^\\s*(\\w+)\\s*->\\s*(.*)$', lambda) -%}
    {%- if parts is none -%}
        {{- exceptions.raise_compiler_error("a lambda must read 'name -> body': " ~ lambda) -}}
    {%- endif -%}
    {{- return('lambda ' ~ parts.group(1) ~ ': ' ~ parts.group(2)) -}}
{% endmacro %}

{% macro list_transform(list, lambda) %}
    {{- return(adapter.dispatch('list_transform', 'rated_events')(list, lambda)) -}}
{% endmacro %}

{% macro default__list_transform(list, lambda) %}list_transform({{ list }}, {{ duckdb_lambda(lambda) }}){% endmacro %}

{% macro spark__list_transform(list, lambda) %}transform({{ list }}, {{ lambda }}){% endmacro %}

{#- The elements of a list for which a lambda (`'v -> ...'`) is true (a null result is false). -#}
{% macro list_filter(list, lambda) %}
    {{- return(adapter.dispatch('list_filter', 'rated_events')(list, lambda)) -}}
{% endmacro %}

{% macro default__list_filter(list, lambda) %}list_filter({{ list }}, {{ duckdb_lambda(lambda) }}){% endmacro %}

{% macro spark__list_filter(list, lambda) %}filter({{ list }}, {{ lambda }}){% endmacro %}

{#- The element of a list at a position counted from 1; null when the list is shorter. -#}
{% macro list_element(list, position) %}
    {{- return(adapter.dispatch('list_element', 'rated_events')(list, position)) -}}
{% endmacro %}

{% macro default__list_element(list, position) %}list_extract({{ list }}, {{ position }}){% endmacro %}

{#- with spark.sql.ansi.enabled false (dbt-spark's setting) a position past the end gives null -#}
{% macro spark__list_element(list, position) %}element_at({{ list }}, {{ position }}){% endmacro %}

{#- The value of a map under a key; null when the key is absent. -#}
{% macro map_value(map, key) %}
    {{- return(adapter.dispatch('map_value', 'rated_events')(map, key)) -}}
{% endmacro %}

{% macro default__map_value(map, key) %}map_extract_value({{ map }}, {{ key }}){% endmacro %}

{% macro spark__map_value(map, key) %}element_at({{ map }}, {{ key }}){% endmacro %}

{#- A struct from (field name, expression) pairs, fields in the order given. -#}
{% macro struct_of(fields) %}
    {{- return(adapter.dispatch('struct_of', 'rated_events')(fields)) -}}
{% endmacro %}

{% macro default__struct_of(fields) -%}
    struct_pack({% for name, expression in fields %}{{ name }} := {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro spark__struct_of(fields) -%}
    named_struct({% for name, expression in fields %}'{{ name }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- One row per element of a list, in a select list. -#}
{% macro unnest(list) %}
    {{- return(adapter.dispatch('unnest', 'rated_events')(list)) -}}
{% endmacro %}

{% macro default__unnest(list) %}unnest({{ list }}){% endmacro %}

{% macro spark__unnest(list) %}explode({{ list }}){% endmacro %}

{#- One row per element of a list with its 1-based position, in a select list:
    `value_name` and `index_name` are the two output columns. -#}
{% macro unnest_with_index(list, value_name, index_name) %}
    {{- return(adapter.dispatch('unnest_with_index', 'rated_events')(list, value_name, index_name)) -}}
{% endmacro %}

{% macro default__unnest_with_index(list, value_name, index_name) %}
    unnest({{ list }}) as {{ value_name }},
    generate_subscripts({{ list }}, 1) as {{ index_name }}
{% endmacro %}

{% macro spark__unnest_with_index(list, value_name, index_name) %}
    inline(transform({{ list }}, (element, position) -> named_struct('value', element, 'position', position + 1)))
        as ({{ value_name }}, {{ index_name }})
{% endmacro %}

{#- The number of elements of a list. -#}
{% macro list_length(list) %}
    {{- return(adapter.dispatch('list_length', 'rated_events')(list)) -}}
{% endmacro %}

{% macro default__list_length(list) %}len({{ list }}){% endmacro %}

{% macro spark__list_length(list) %}size({{ list }}){% endmacro %}

{#- Texts joined with a separator, ordered by `order_by` (default: the text itself), an
    aggregate; `distinct` drops repeated texts (then the order is the text's). -#}
{% macro ordered_text_agg(text, separator, order_by=none, distinct=false) %}
    {{- return(adapter.dispatch('ordered_text_agg', 'rated_events')(text, separator, order_by, distinct)) -}}
{% endmacro %}

{% macro default__ordered_text_agg(text, separator, order_by, distinct) %}
    string_agg({{ 'distinct ' if distinct }}{{ text }}, {{ separator }} order by {{ order_by or text }})
{% endmacro %}

{% macro spark__ordered_text_agg(text, separator, order_by, distinct) %}
    {%- if distinct or order_by is none -%}
        array_join(array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ text }})), {{ separator }})
    {%- else -%}
        array_join(transform(
            array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'text', {{ text }}))),
            ordered -> ordered.text), {{ separator }})
    {%- endif -%}
{% endmacro %}

{#- True when a list has an element equal to a value. -#}
{% macro list_contains(list, value) %}
    {{- return(adapter.dispatch('list_contains', 'rated_events')(list, value)) -}}
{% endmacro %}

{% macro default__list_contains(list, value) %}list_contains({{ list }}, {{ value }}){% endmacro %}

{% macro spark__list_contains(list, value) %}array_contains({{ list }}, {{ value }}){% endmacro %}

{#- Integer division truncating towards zero (integers; decimal_math has the 38-digit kind). -#}
{% macro integer_divide(dividend, divisor) %}
    {{- return(adapter.dispatch('integer_divide', 'rated_events')(dividend, divisor)) -}}
{% endmacro %}

{% macro default__integer_divide(dividend, divisor) %}({{ dividend }} // {{ divisor }}){% endmacro %}

{% macro spark__integer_divide(dividend, divisor) %}({{ dividend }} div {{ divisor }}){% endmacro %}

{#- The integers first..last, as a list. -#}
{% macro integer_range(first, last) %}
    {{- return(adapter.dispatch('integer_range', 'rated_events')(first, last)) -}}
{% endmacro %}

{% macro default__integer_range(first, last) %}generate_series({{ first }}, {{ last }}){% endmacro %}

{% macro spark__integer_range(first, last) %}sequence({{ first }}, {{ last }}){% endmacro %}

{#- An empty list of texts. -#}
{% macro empty_text_list() %}
    {{- return(adapter.dispatch('empty_text_list', 'rated_events')()) -}}
{% endmacro %}

{% macro default__empty_text_list() %}[]{% endmacro %}

{% macro spark__empty_text_list() %}cast(array() as array<string>){% endmacro %}

{#- Aggregate: the values as a list (nulls dropped on Spark, kept on DuckDB: use on non-null
    values); `distinct` drops repeats. Element order is unspecified. -#}
{% macro list_agg(value, distinct=false) %}
    {{- return(adapter.dispatch('list_agg', 'rated_events')(value, distinct)) -}}
{% endmacro %}

{% macro default__list_agg(value, distinct) %}list({{ 'distinct ' if distinct }}{{ value }}){% endmacro %}

{% macro spark__list_agg(value, distinct) %}{{ 'collect_set' if distinct else 'collect_list' }}({{ value }}){% endmacro %}

{#- The distinct elements of a list, sorted (so a list built from an unordered aggregate is the
    same list on every run: determinism); two lists concatenated. -#}
{% macro list_distinct(list) %}
    {{- return(adapter.dispatch('list_distinct', 'rated_events')(list)) -}}
{% endmacro %}

{% macro default__list_distinct(list) %}list_sort(list_distinct({{ list }})){% endmacro %}

{% macro spark__list_distinct(list) %}array_sort(array_distinct({{ list }})){% endmacro %}

{% macro list_concat(first, second) %}
    {{- return(adapter.dispatch('list_concat', 'rated_events')(first, second)) -}}
{% endmacro %}

{% macro default__list_concat(first, second) %}list_concat({{ first }}, {{ second }}){% endmacro %}

{% macro spark__list_concat(first, second) %}concat({{ first }}, {{ second }}){% endmacro %}

{#- A map from a list of (distinct) keys and a list of values. -#}
{% macro map_from_lists(keys, values) %}
    {{- return(adapter.dispatch('map_from_lists', 'rated_events')(keys, values)) -}}
{% endmacro %}

{% macro default__map_from_lists(keys, values) %}map({{ keys }}, {{ values }}){% endmacro %}

{% macro spark__map_from_lists(keys, values) %}map_from_arrays({{ keys }}, {{ values }}){% endmacro %}

{#- Aggregate: a map of (distinct) keys to values. -#}
{% macro map_agg(key, value) %}
    {{- return(adapter.dispatch('map_agg', 'rated_events')(key, value)) -}}
{% endmacro %}

{% macro default__map_agg(key, value) %}map(list({{ key }} order by {{ key }}), list({{ value }} order by {{ key }})){% endmacro %}

{% macro spark__map_agg(key, value) %}map_from_entries(collect_list(struct({{ key }}, {{ value }}))){% endmacro %}

{#- In a from clause, after a relation: one row per element of its list column, named
    `alias.column`. -#}
{% macro cross_join_unnest(list, alias, column) %}
    {{- return(adapter.dispatch('cross_join_unnest', 'rated_events')(list, alias, column)) -}}
{% endmacro %}

{% macro default__cross_join_unnest(list, alias, column) %}cross join unnest({{ list }}) as {{ alias }} ({{ column }}){% endmacro %}

{% macro spark__cross_join_unnest(list, alias, column) %}lateral view explode({{ list }}) {{ alias }} as {{ column }}{% endmacro %}

{#- The elements two lists share. -#}
{% macro list_intersect(first, second) %}
    {{- return(adapter.dispatch('list_intersect', 'rated_events')(first, second)) -}}
{% endmacro %}

{% macro default__list_intersect(first, second) %}list_intersect({{ first }}, {{ second }}){% endmacro %}

{% macro spark__list_intersect(first, second) %}array_intersect({{ first }}, {{ second }}){% endmacro %}

{#- Aggregate: the values as a list in ascending order; `distinct` drops repeats. -#}
{% macro sorted_list_agg(value, distinct=false) %}
    {{- return(adapter.dispatch('sorted_list_agg', 'rated_events')(value, distinct)) -}}
{% endmacro %}

{% macro default__sorted_list_agg(value, distinct) %}list({{ 'distinct ' if distinct }}{{ value }} order by {{ value }}){% endmacro %}

{% macro spark__sorted_list_agg(value, distinct) %}array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ value }})){% endmacro %}

{#- Window function: the last non-null value of the frame. -#}
{% macro last_value_ignore_nulls(value) %}
    {{- return(adapter.dispatch('last_value_ignore_nulls', 'rated_events')(value)) -}}
{% endmacro %}

{% macro default__last_value_ignore_nulls(value) %}last_value({{ value }} ignore nulls){% endmacro %}

{% macro spark__last_value_ignore_nulls(value) %}last_value({{ value }}, true){% endmacro %}

{#- dbt's cast on Spark: the contracts' data types name DuckDB's text types (varchar, json),
    which are `string` on Spark (varchar needs a length there). -#}
{% macro spark__cast(field, type) %}
    {%- set spark_type = 'string' if (type | string | trim | lower) in ('varchar', 'json', 'text') else type -%}
    cast({{ field }} as {{ spark_type }})
{% endmacro %}

{#- dbt-spark's listagg drops the order by clause (with a warning): collected and sorted. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) %}
    {%- if order_by_clause -%}
        {%- set order_by = modules.re.sub('^\\s*order\\s+by\\s+', '', order_by_clause, flags=modules.re.I) -%}
        {{- ordered_text_agg(measure, delimiter_text, order_by=order_by) -}}
    {%- else -%}
        array_join(collect_list({{ measure }}), {{ delimiter_text }})
    {%- endif -%}
{% endmacro %}

{#- Pre-hook of the incremental marts: remove the rows a run replaces (those where `condition`
    holds). Spark's Parquet tables cannot DELETE: the rows kept are copied aside, the table is
    overwritten with them, and the copy dropped (not atomic: a crash in between leaves the
    copy `<table>__kept`, from which the table can be restored). -#}
{% macro delete_rows_where(relation, condition) %}
    {{- return(adapter.dispatch('delete_rows_where', 'rated_events')(relation, condition)) -}}
{% endmacro %}

{% macro default__delete_rows_where(relation, condition) %}delete from {{ relation }} where {{ condition }}{% endmacro %}

{% macro spark__delete_rows_where(relation, condition) %}
    {%- if execute -%}
        {%- set kept = relation.incorporate(path={'identifier': relation.identifier ~ '__kept'}) -%}
        {%- do run_query('drop table if exists ' ~ kept) -%}
        {%- do run_query('create table ' ~ kept ~ ' using parquet as select * from ' ~ relation
            ~ ' where not coalesce(' ~ condition ~ ', false)') -%}
        {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ kept) -%}
        {%- do run_query('drop table ' ~ kept) -%}
    {%- endif -%}
{% endmacro %}

{#- The invoice marts' pre-hook: the draft rows a run replaces. -#}
{% macro delete_draft_rows(relation) %}
    {{- return(delete_rows_where(relation, "status <> 'FINALIZED'")) -}}
{% endmacro %}

{#- A text as a SQL string literal: DuckDB doubles quotes; Spark escapes them (and backslashes)
    with a backslash (it does not read '' inside a literal). -#}
{% macro string_literal(text) %}
    {{- return(adapter.dispatch('string_literal', 'rated_events')(text)) -}}
{% endmacro %}

{% macro default__string_literal(text) %}{{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}{% endmacro %}

{% macro spark__string_literal(text) %}{{ return(spark_string_literal(text)) }}{% endmacro %}

{#- dbt.datediff as DuckDB's date_diff: the number of `datepart` boundaries crossed (dbt-spark's
    month difference is fractional-based and differs at month ends). -#}
{% macro spark__datediff(first_date, second_date, datepart) %}
    {%- set part = datepart | lower -%}
    {%- if part == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif part == 'week' -%}
        floor(datediff(date_trunc('week', {{ second_date }}), date_trunc('week', {{ first_date }})) / 7)
    {%- elif part == 'month' -%}
        ((year({{ second_date }}) - year({{ first_date }})) * 12 + month({{ second_date }}) - month({{ first_date }}))
    {%- elif part == 'quarter' -%}
        ((year({{ second_date }}) - year({{ first_date }})) * 4 + quarter({{ second_date }}) - quarter({{ first_date }}))
    {%- elif part == 'year' -%}
        (year({{ second_date }}) - year({{ first_date }}))
    {%- elif part in ('hour', 'minute', 'second') -%}
        {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1}[part] -%}
        cast(floor(unix_seconds(date_trunc('{{ part }}', {{ second_date }})) / {{ seconds }})
            - floor(unix_seconds(date_trunc('{{ part }}', {{ first_date }})) / {{ seconds }}) as bigint)
    {%- else -%}
        {{ exceptions.raise_compiler_error('spark__datediff: unsupported datepart ' ~ datepart) }}
    {%- endif -%}
{% endmacro %}

{#- A string literal holding one single quote (Spark does not read '' inside a literal). -#}
{% macro quote_char() %}
    {{- return(adapter.dispatch('quote_char', 'rated_events')()) -}}
{% endmacro %}

{% macro default__quote_char() %}{{ return("''''") }}{% endmacro %}

{% macro spark__quote_char() %}{{ return("'\\''") }}{% endmacro %}
