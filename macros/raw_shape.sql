{#- Wrong raw shapes (README "Wrong shapes"): a raw file whose shape breaks the input contract
    stops the build with a message naming the file and the column or line, before any model
    reads its rows. Bad *values* in well-shaped files are never a shape problem: those become
    errored events (events) or named configuration problems (tests/config). -#}

{#- The raw folder, exactly as the sources `usage` and `billing` read it. -#}
{% macro raw_input_folder() %}
    {#- read only when executing, like as_of (macros/run_parameters.sql): the sources' YAML is
        the one place the folder is read while parsing -#}
    {%- if not execute -%}
        {{- return('data/raw') -}}
    {%- endif -%}
    {{- return(var('raw_data_path', env_var('RATED_EVENTS_RAW_PATH', 'data/raw')) | string) -}}
{% endmacro %}

{#- The columns every events file must have (rules 3), with the kind of type each must be. -#}
{% macro event_file_columns() %}
    {{- return([
        ('transaction_id', 'text'),
        ('customer_id', 'text'),
        ('event_type', 'text'),
        ('timestamp', 'text'),
        ('properties', 'text'),
        ('received_at', 'timestamp'),
    ]) -}}
{% endmacro %}

{#- Pre-hook of stg_usage__events: one statement that raises an error listing every events file
    whose columns break the contract, or does nothing. It reads Parquet footers only (schema
    metadata, never rows), so it costs the same at ten events or ten million.
    Per file (names compared case-insensitively, as DuckDB binds them):
      * a contract column that is missing;
      * a contract column of another type: text columns must be text, `received_at` a
        timestamp (any unit, with or without the UTC flag, or legacy INT96); a column whose
        Parquet type is NULL (every value null) fits any type, its rows are then handled as
        rows with that field missing;
      * a column named `filename` or `file_row_number`, which the reader adds for provenance;
      * a Parquet file in a subfolder of events/, which `events/*.parquet` would not read.
    Extra columns are ignored. No events file at all stops the build too: an empty or missing
    events/ folder is more often a wrong raw_data_path or an unfinished copy than a day without
    usage, and a build finalizes periods for good; an events file with zero rows says "no
    events" on purpose and builds green. -#}
{% macro assert_event_files_match_contract() %}
    {{- return(adapter.dispatch('assert_event_files_match_contract', 'rated_events')()) -}}
{% endmacro %}

{% macro default__assert_event_files_match_contract() %}
    {%- set events_glob = raw_input_folder() ~ '/events/*.parquet' -%}
    {%- set quoted_glob = "'" ~ events_glob | replace("'", "''") ~ "'" -%}
    {%- set file_count = 1 -%}
    {%- if execute -%}
        {#- read_parquet and parquet_schema fail on a glob that matches nothing: ask first -#}
        {%- set file_count = run_query('select count(*) from glob(' ~ quoted_glob ~ ')').columns[0].values()[0] -%}
    {%- endif -%}
    {%- set quoted_nested_glob = "'" ~ (raw_input_folder() ~ '/events/*/**/*.parquet') | replace("'", "''") ~ "'" -%}
    {%- if file_count == 0 -%}
        {%- set message -%}
            'no events files: nothing matches ' || {{ quoted_glob }}
            || '. An events file with zero rows means no events; an empty or missing events folder'
            || ' stops the build because it is more often a wrong raw_data_path or an unfinished copy.'
            || case
                when exists (select 1 from glob({{ quoted_nested_glob }}))
                    then ' Parquet files in subfolders of events/ are not read.'
                else ''
            end
        {%- endset -%}
        select {{ raise_error(message) }} as failure
    {%- else -%}
        {{ event_file_problems_sql(quoted_glob, quoted_nested_glob) }}
    {%- endif -%}
{% endmacro %}

{% macro event_file_problems_sql(quoted_glob, quoted_nested_glob) %}
with

schema_nodes as (
    -- parquet_schema lists every schema node of every file in preorder (column_id 0 is the
    -- root), nested struct and list fields included. `slots_before` is the running sum of
    -- (children - 1) over the nodes before this one: the root's direct children are exactly
    -- the nodes whose slots_before is lower than that of every earlier non-root node.
    select
        file_name,
        column_id,
        lower(name) as column_name,
        duckdb_type,
        sum(coalesce(num_children, 0) - 1) over (
            partition by file_name order by column_id
            rows between unbounded preceding and 1 preceding
        ) as slots_before
    from parquet_schema({{ quoted_glob }})
),

ranked_nodes as (
    select
        file_name,
        column_name,
        duckdb_type,
        slots_before,
        min(slots_before) over (
            partition by file_name order by column_id
            rows between unbounded preceding and 1 preceding
        ) as lowest_slots_before
    from schema_nodes
    where column_id > 0
),

file_columns as (
    select
        'events/' || {{ file_basename('file_name') }} as source_file,
        column_name,
        duckdb_type
    from ranked_nodes
    where lowest_slots_before is null or slots_before < lowest_slots_before
),

event_files as (
    select distinct 'events/' || {{ file_basename('file_name') }} as source_file
    from schema_nodes
),

contract_columns as (
    {% for column_name, kind in event_file_columns() %}
    select '{{ column_name }}' as column_name, '{{ kind }}' as column_kind
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

problems as (
    select
        event_files.source_file,
        event_files.source_file || ': column ' || contract_columns.column_name || ' is missing' as problem
    from event_files
    cross join contract_columns
    left join file_columns
        on event_files.source_file = file_columns.source_file
        and contract_columns.column_name = file_columns.column_name
    where file_columns.column_name is null
    union all
    select
        file_columns.source_file,
        file_columns.source_file || ': column ' || file_columns.column_name || ' is '
        || coalesce(file_columns.duckdb_type, 'a nested type') || ', expected '
        || case contract_columns.column_kind when 'text' then 'text' else 'a timestamp' end as problem
    from file_columns
    inner join contract_columns on file_columns.column_name = contract_columns.column_name
    where coalesce(file_columns.duckdb_type, '') <> '"NULL"'
        and case contract_columns.column_kind
            when 'text' then coalesce(file_columns.duckdb_type, '') not in ('VARCHAR', 'JSON')
            else coalesce(file_columns.duckdb_type, '') not like 'TIMESTAMP%'
        end
    union all
    select
        source_file,
        source_file || ': column ' || column_name
        || ' has a name the reader uses for provenance; rename or drop it' as problem
    from file_columns
    where column_name in ('filename', 'file_row_number')
    union all
    select
        file as source_file,
        file || ' is in a subfolder of events/, which is not read; move it into events/' as problem
    from glob({{ quoted_nested_glob }})
),

summary as (
    select
        count(*) as problem_count,
        list(problem order by source_file, problem) as problem_list
    from problems
)

{% set message %}
    'bad events files: ' || array_to_string(problem_list[1:10], '; ')
    || case when problem_count > 10 then '; and ' || cast(problem_count - 10 as varchar) || ' more' else '' end
{% endset %}
select {{ raise_error(message) }} as failure
from summary
where problem_count > 0
{% endmacro %}

{#- A configuration source (`line_number`, `line_text`, `json`: one row per non-blank line, see
    _billing__sources.yml) as (line_number, json), after checking that every line is one JSON
    object by RFC 8259 (the strict rule of `is_json_object`). Otherwise the model fails with
    `bad configuration: <file> line <n> is not valid JSON: <start of the line>` (or "is JSON but
    not an object"), listing the first ten such lines. The source has already dropped blank
    lines and trimmed CRLF line ends and a byte order mark. -#}
{% macro jsonl_objects(relation, file_name) %}
    {{- return(adapter.dispatch('jsonl_objects', 'rated_events')(relation, file_name)) -}}
{% endmacro %}

{% macro default__jsonl_objects(relation, file_name) %}
    {%- set message -%}
        'bad configuration: ' || array_to_string(list(
            '{{ file_name }} line ' || cast(bad_lines.line_number as varchar)
            || case
                when json_valid(bad_lines.line_text) and json_type(bad_lines.line_text) <> 'OBJECT'
                    then ' is JSON but not an object: '
                else ' is not valid JSON: '
            end
            || left(bad_lines.line_text, 40)
            order by bad_lines.line_number
        )[1:10], '; ')
        || case when count(*) > 10 then '; and ' || cast(count(*) - 10 as varchar) || ' more lines' else '' end
    {%- endset -%}
    select
        jsonl_lines.line_number,
        jsonl_lines.json
    from {{ relation }} as jsonl_lines
    where (
        -- one value for the whole file: null when every line is an object, else the error
        select {{ raise_error(message) }}
        from {{ relation }} as bad_lines
        where not {{ is_json_object('bad_lines.line_text') }}
        having count(*) > 0
    ) is null
{% endmacro %}
