{#- Reading the raw folder on engines without dbt-duckdb's `external_location` sources
    (macros/raw_shape.sql holds the DuckDB side). On Spark the on-run-start hook registers
    the sources `usage` and `billing` as relations in the `raw` schema: `raw.events`, a view
    over events/*.parquet (file name and row index from Parquet metadata), and one table per
    configuration file with the same columns as on DuckDB (`line_number`, `line_text`,
    `json`, here the line's text: Spark has no JSON type). -#}

{% macro register_raw_sources() %}
    {{- return(adapter.dispatch('register_raw_sources', 'rated_events')()) -}}
{% endmacro %}

{#- DuckDB: dbt-duckdb reads the files in place through the sources' external_location, which
    names the raw folder as `rated_events_raw_folder()` and the freshness of the events as of
    `rated_events_as_of()`: two macros this hook defines in the build workspace, with this run's
    values as literals (DuckDB folds them into read_parquet's and read_text's file names).
    Neither value may appear in the sources' YAML: dbt renders it while parsing, and a value
    that changes between runs makes dbt parse the file again instead of reusing its saved parse
    (docs/decisions.md, "Test builds reuse dbt's parse"). The macros are persistent, not
    temporary: every thread's connection sees them (DuckDB keeps temporary ones per
    connection), and a view over a source still reads after the run (the workspace's
    stg_usage__events; the published copy names the folder itself, `raw_source_literals`). The
    hook runs before any model, and before `dbt source freshness` reads the events. -#}
{% macro default__register_raw_sources() %}
    {%- if execute -%}
        {%- do run_query('create or replace macro rated_events_raw_folder() as '
            ~ string_literal(raw_input_folder())) -%}
        {#- as_of, else the clock (current_timestamp, evaluated when the freshness query runs) -#}
        {%- do run_query('create or replace macro rated_events_as_of() as '
            ~ ("cast(" ~ string_literal(as_of_text() ~ '+00:00') ~ " as timestamptz)" if as_of_given() else 'current_timestamp')) -%}
    {%- endif -%}
{% endmacro %}

{#- A workspace view's SQL as readers of the published warehouse can run it: the raw folder's
    macro (register_raw_sources), defined in the workspace only, replaced by its value there,
    the folder the build read (also when `dbt run-operation publish_build` publishes it later,
    whatever that command's own raw folder). -#}
{% macro raw_source_literals(sql) %}
    {%- if 'rated_events_raw_folder()' not in sql -%}
        {{- return(sql) -}}
    {%- endif -%}
    {%- set folder = run_query('select rated_events_raw_folder()').columns[0].values()[0] -%}
    {{- return(sql | replace('rated_events_raw_folder()', string_literal(folder))) -}}
{% endmacro %}

{#- The configuration files of rules 3, without `.jsonl`: the project's one list of them (the
    tables of source `billing`; tests/python/test_layering.py holds the two together, and the
    Python side, rated_events_tools.generate.files.CONFIG_FILES, to this list), and the
    optional ones, read only when present. -#}
{% macro raw_config_files() %}
    {{- return(required_config_files() + optional_config_files()) -}}
{% endmacro %}

{#- The configuration files a raw folder may lack (rated_events_tools.generate.files.
    OPTIONAL_FILES): unit costs (margin reports only) and spend alerts (never billing). -#}
{% macro optional_config_files() %}
    {{- return(['unit_costs', 'alerts']) -}}
{% endmacro %}

{#- The configuration files every raw folder must hold (an empty file is fine). -#}
{% macro required_config_files() %}
    {{- return(['customers', 'billable_metrics', 'products', 'rate_cards', 'rates', 'contracts',
        'overrides', 'commits', 'credits']) -}}
{% endmacro %}

{#- A path as a Spark string literal (backslashes and quotes escaped). -#}
{% macro spark_string_literal(text) %}
    {{- return("'" ~ (text | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- if execute -%}
        {%- set folder = raw_input_folder() -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- do run_query(
            'create or replace view raw.events as select *, _metadata.file_path as filename,'
            ~ ' _metadata.row_index as file_row_number from parquet.`' ~ folder ~ '/events/*.parquet`'
        ) -%}
        {%- for name in raw_config_files() -%}
            {%- do run_query('drop table if exists raw.' ~ name) -%}
            {%- if name not in optional_config_files() or raw_file_exists(name ~ '.jsonl') -%}
                {%- do run_query(
                    'create or replace temporary view raw_file_' ~ name ~ ' using text options (path '
                    ~ spark_string_literal(folder ~ '/' ~ name ~ '.jsonl') ~ ", wholetext 'true')"
                ) -%}
                {#- as on DuckDB: lines split at LF, a byte order mark and surrounding spaces, tabs
                    and carriage returns trimmed, blank lines dropped, numbered from 1 -#}
                {%- do run_query(
                    'create table raw.' ~ name ~ ' using parquet as'
                    ~ ' select line_number, line_text, line_text as json from ('
                    ~ " select file_line.pos + 1 as line_number, trim(both concat(' ', chr(9), chr(13)) from file_line.col) as line_text"
                    ~ ' from raw_file_' ~ name ~ " lateral view posexplode(split(regexp_replace(value, '^\\\\x{FEFF}', ''), '\\\\n', -1)) file_line"
                    ~ " ) as trimmed_line where line_text <> ''"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{% macro spark__raw_file_exists(file_name) %}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {#- Spark fails on a path that matches nothing: list the folder's JSONL files instead -#}
    {%- set found = run_query(
        'select count(*) from (select distinct input_file_name() as path from text.`'
        ~ raw_input_folder() ~ '/*.jsonl`) as files where path like ' ~ spark_string_literal('%/' ~ file_name)
    ) -%}
    {{- return(found.columns[0].values()[0] > 0) -}}
{% endmacro %}

{#- Spark: the contract columns of the events files, checked on the merged Parquet schema
    (per file problems, subfolders and provenance-name clashes are DuckDB-only for now). -#}
{% macro spark__assert_event_files_match_contract() %}
    {%- if execute -%}
        {%- set columns = adapter.get_columns_in_relation(source('usage', 'events')) -%}
        {%- set found = {} -%}
        {%- for column in columns -%}
            {%- do found.update({column.name | lower: column.dtype | lower}) -%}
        {%- endfor -%}
        {%- set problems = [] -%}
        {%- for column_name, kind in event_file_columns() -%}
            {%- if column_name not in found -%}
                {%- do problems.append('column ' ~ column_name ~ ' is missing') -%}
            {%- elif kind == 'text' and found[column_name] not in ('string', 'void') -%}
                {%- do problems.append('column ' ~ column_name ~ ' is ' ~ found[column_name] ~ ', expected text') -%}
            {%- elif kind == 'timestamp' and not found[column_name].startswith('timestamp') and found[column_name] != 'void' -%}
                {%- do problems.append('column ' ~ column_name ~ ' is ' ~ found[column_name] ~ ', expected a timestamp') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ exceptions.raise_compiler_error('bad events files: events/*.parquet: ' ~ problems | join('; ')) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- jsonl_objects (macros/raw_shape.sql) on Spark: the same rule and message. -#}
{% macro spark__jsonl_objects(relation, file_name) %}
    {%- set line_message -%}
        '{{ file_name }} line ' || cast(bad_lines.line_number as string)
        || case
            when coalesce(size(from_json(concat('[', bad_lines.line_text, ']'), 'array<string>')), 0) = 1
                and from_json(bad_lines.line_text, 'map<string,string>') is null
                then ' is JSON but not an object: '
            else ' is not valid JSON: '
        end
        || left(bad_lines.line_text, 40)
    {%- endset -%}
    {%- set message -%}
        'bad configuration: ' || array_join(slice(transform(
            array_sort(collect_list(named_struct('line_number', bad_lines.line_number, 'message', {{ line_message }}))),
            bad_line -> bad_line.message), 1, 10), '; ')
        || case when count(*) > 10 then '; and ' || cast(count(*) - 10 as string) || ' more lines' else '' end
    {%- endset -%}
    select
        jsonl_lines.line_number,
        jsonl_lines.json
    from {{ relation }} as jsonl_lines
    where (
        -- Spark evaluates an aggregate's select list before its having clause
        select case when count(*) > 0 then {{ raise_error(message) }} end
        from {{ relation }} as bad_lines
        where not {{ is_json_object('bad_lines.line_text') }}
    ) is null
{% endmacro %}
