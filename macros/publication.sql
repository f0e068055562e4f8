{#- Write, audit, publish (docs block `write_audit_publish`).

    dbt builds into a workspace that no reader opens (profiles.yml: `<folder>/.build/<name>` on
    DuckDB). The warehouse readers open, RATED_EVENTS_DB, holds only what green builds
    published: the marts by name in its default schema, and the run state later builds start
    from (finalized rated events, invoices and line items, event outcomes, errored events).
    Every build reads that state through the `recorded` source, attached read-only, so readers
    keep reading while a build runs. Only when a whole `dbt build` ends with every model and
    every test green does the on-run-end hook publish it, in one transaction: history marts
    take this run's rows (and drop the rows this run replaced), every other mart is replaced,
    and a row in `publications` names the run. A failed, partial or killed build publishes
    nothing. -#}

{#- The warehouse file readers open (DuckDB), as profiles.yml derives the workspace from it. -#}
{% macro published_warehouse_path() %}
    {{- return(env_var('RATED_EVENTS_DB', 'warehouse/rated_events.duckdb')) -}}
{% endmacro %}

{#- on-run-start: make the published warehouse readable as the `recorded` source. DuckDB:
    profiles.yml attaches it read-only as `published` on every connection (the file must exist:
    `make run` and scripts/build.py create an empty one for a fresh warehouse). -#}
{% macro attach_published() %}
    {{- return(adapter.dispatch('attach_published', 'rated_events')()) -}}
{% endmacro %}

{% macro default__attach_published() %}{% endmacro %}

{% macro spark__attach_published() %}
    {%- if execute -%}
        {%- do run_query('create database if not exists ' ~ published_schema()) -%}
    {%- endif -%}
{% endmacro %}

{#- Where the published marts live: DuckDB's attached warehouse, Spark's schema of that name. -#}
{% macro published_schema() %}
    {{- return('main' if target.type == 'duckdb' else 'rated_events') -}}
{% endmacro %}

{#- on-run-start: what must hold before any model is built, each with one message that says
    what to do (README "Faults and recovery"). A failure here stops the run before any model
    writes, so it is the run's only error. -#}
{% macro check_preconditions() %}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {#- a malformed as_of stops the run here, before any model, naming the value -#}
    {%- do as_of_text() -%}
    {%- set problems = adapter.dispatch('raw_folder_problems', 'rated_events')() -%}
    {%- if problems | length == 0 -%}
        {%- do problems.extend(finalized_history_problems()) -%}
    {%- endif -%}
    {%- if problems | length > 0 -%}
        {{- exceptions.raise_compiler_error(problems | join('\n')) -}}
    {%- endif -%}
{% endmacro %}

{% macro default__raw_folder_problems() %}
    {%- set folder = raw_input_folder() -%}
    {%- set quoted = folder | replace("'", "''") -%}
    {%- set entries = run_query("select file from glob('" ~ quoted ~ "/*')").columns[0].values() -%}
    {%- set event_files = run_query("select count(*) from glob('" ~ quoted ~ "/events/*.parquet')").columns[0].values()[0] -%}
    {%- set present = [] -%}
    {%- for path in entries -%}
        {%- do present.append(path.replace('\\', '/').split('/')[-1]) -%}
    {%- endfor -%}
    {%- if present | length == 0 -%}
        {{- return(["the raw folder '" ~ folder ~ "' is missing or empty: give the folder that holds events/ and the "
            ~ "configuration files (var raw_data_path, or RATED_EVENTS_RAW_PATH; `make run` uses data/raw). "
            ~ "Nothing was built or published."]) -}}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set missing = [] -%}
    {%- for name in required_config_files() -%}
        {%- if (name ~ '.jsonl') not in present -%}
            {%- do missing.append(name ~ '.jsonl') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing | length > 0 -%}
        {%- do problems.append("the raw folder '" ~ folder ~ "' lacks " ~ missing | join(', ')
            ~ ": every configuration file must exist (an empty file means none; only unit_costs.jsonl and alerts.jsonl are optional). "
            ~ "Nothing was built or published.") -%}
    {%- endif -%}
    {%- if event_files == 0 -%}
        {%- set nested = run_query("select count(*) from glob('" ~ quoted ~ "/events/*/**/*.parquet')").columns[0].values()[0] -%}
        {%- do problems.append("the raw folder '" ~ folder ~ "' has no events files: nothing matches " ~ folder
            ~ "/events/*.parquet. An events file with zero rows means no events; an empty or missing events folder "
            ~ "stops the build because it is more often a wrong raw_data_path or an unfinished copy."
            ~ (" Parquet files in subfolders of events/ are not read." if nested > 0 else "")
            ~ " Nothing was built or published.") -%}
    {%- endif -%}
    {{- return(problems) -}}
{% endmacro %}

{% macro spark__raw_folder_problems() %}
    {{- return([]) -}}
{% endmacro %}

{#- as_of never moves behind published finalized history: a period recorded as finalized was
    closed by an as_of at or after its finalized_at; an earlier as_of would see it open again. -#}
{% macro finalized_history_problems() %}
    {%- set invoices = published_relation('fct_invoices') -%}
    {%- if relation_kind(invoices) is none -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set behind = run_query(
        "select count(*), cast(max(finalized_at) as " ~ dbt.type_string() ~ "), "
        ~ ("array_to_string(list(invoice_id order by invoice_id)[1:5], ', ')" if target.type == 'duckdb'
            else "concat_ws(', ', slice(array_sort(collect_list(invoice_id)), 1, 5))") ~ " from " ~ invoices
        ~ " where status = 'FINALIZED' and finalized_at > " ~ as_of_timestamp()
    ) -%}
    {%- set count = behind.columns[0].values()[0] -%}
    {%- if count == 0 -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set latest = behind.columns[1].values()[0] -%}
    {%- set latest_rfc3339 = latest[:19] | replace(' ', 'T') ~ 'Z' -%}
    {{- return(["as_of " ~ as_of_text()[:19] | replace(' ', 'T') ~ "Z is before the finalization of " ~ count
        ~ " published finalized invoice(s) (" ~ behind.columns[2].values()[0] ~ (", ..." if count > 5 else "") ~ "; the latest finalized_at is "
        ~ latest_rfc3339 ~ "): finalized history is never ahead of as_of. Run with a later as_of, e.g. `make run AS_OF="
        ~ latest_rfc3339 ~ "` or `dbt build --vars '{as_of: \"" ~ latest_rfc3339 ~ "\"}'`. Nothing was built or published."]) -}}
{% endmacro %}

{% macro published_database() %}
    {{- return('published' if target.type == 'duckdb' else none) -}}
{% endmacro %}

{#- The marts a publish writes: every model of the marts, rollups and semantic folders (and
    the raw events' staging view, which reads the raw files in place). The
    history marts (finalized rated events, invoices, line items, event outcomes, errored
    events) take this run's rows; the others are replaced whole. -#}
{% macro history_marts() %}
    {{- return({
        'fct_rated_events_finalized': 'int_rated_events_finalized_this_run',
        'fct_invoices': 'int_invoices_this_run',
        'fct_invoice_line_items': 'int_invoice_line_items_this_run',
        'fct_event_outcomes': 'int_event_outcomes_this_run',
        'fct_errored_events': 'int_errored_events_this_run',
    }) -}}
{% endmacro %}

{#- The key whose rows a history mart's this-run rows replace, should a publish run twice. -#}
{% macro history_mart_key(mart_name) %}
    {{- return('event_id' if mart_name in ('fct_event_outcomes', 'fct_errored_events') else 'invoice_id') -}}
{% endmacro %}

{% macro published_models() %}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {#- stg_usage__events too: a view over the raw files, so that a trace can show the raw record -#}
        {%- if node.resource_type == 'model' and (node.fqn[1] in ('marts', 'rollups', 'semantic')
            or node.name == 'stg_usage__events') -%}
            {%- do models.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(models) -}}
{% endmacro %}

{#- 'table', 'view' or none: what a relation is, asked with a plain query (DuckDB: dbt's
    get_relation would open a dbt transaction, and an open transaction cannot detach the
    published warehouse to attach it for writing). -#}
{% macro relation_kind(relation) %}
    {{- return(adapter.dispatch('relation_kind', 'rated_events')(relation)) -}}
{% endmacro %}

{% macro default__relation_kind(relation) %}
    {%- set where = "database_name = " ~ string_literal(relation.database) ~ " and schema_name = "
        ~ string_literal(relation.schema) -%}
    {%- set found = run_query("select 'table' from duckdb_tables() where " ~ where ~ " and table_name = "
        ~ string_literal(relation.identifier) ~ " union all select 'view' from duckdb_views() where " ~ where
        ~ " and view_name = " ~ string_literal(relation.identifier)) -%}
    {{- return(found.columns[0].values()[0] if found.rows | length > 0 else none) -}}
{% endmacro %}

{% macro spark__relation_kind(relation) %}
    {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
    {{- return(found.type if found is not none else none) -}}
{% endmacro %}

{#- A relation of the build workspace (the run's target). -#}
{% macro workspace_relation(identifier) %}
    {#- Spark has no databases (dbt-spark's relations take none) -#}
    {{- return(api.Relation.create(database=target.database if target.type == 'duckdb' else none,
        schema=target.schema, identifier=identifier)) -}}
{% endmacro %}

{% macro published_relation(identifier) %}
    {{- return(api.Relation.create(database=published_database(), schema=published_schema(), identifier=identifier)) -}}
{% endmacro %}

{#- on-run-end: audit the build, and publish it when it is a whole `dbt build` (no selection)
    whose every node is green. Anything else leaves the published warehouse as it was. -#}
{% macro publish_if_green(results) %}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'seed', 'snapshot') -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set failed = [] -%}
    {%- for result in results -%}
        {%- if result.status not in ('success', 'pass', 'warn', 'no-op') -%}
            {%- do failed.append(result.node.name ~ ' (' ~ result.status ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set partial = [] -%}
    {%- for option in ('select', 'exclude', 'selector', 'resource_types', 'exclude_resource_types', 'empty') -%}
        {%- set value = invocation_args_dict.get(option) -%}
        {#- unit tests check the models' SQL on fixed fixture rows, never this run's data: a
            build that leaves out only them still builds and tests every row it publishes -#}
        {%- if value and not (option == 'exclude_resource_types' and value | list == ['unit_test']) -%}
            {%- do partial.append('--' ~ option | replace('_', '-')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if flags.WHICH != 'build' -%}
        {#- it changed the workspace without testing it: the last audit no longer holds -#}
        {%- do partial.insert(0, '`dbt ' ~ flags.WHICH ~ '`') -%}
    {%- endif -%}
    {%- if partial | length > 0 -%}
        {%- set verdict, detail = 'partial', 'a partial build (' ~ partial | join(', ') ~ ') is never published' -%}
    {%- elif failed | length > 0 -%}
        {%- set verdict, detail = 'failed', failed | length ~ ' node(s) not green, first ' ~ failed[:3] | join(', ') -%}
    {%- else -%}
        {%- set verdict, detail = 'green', 'every node green' -%}
    {%- endif -%}
    {{- record_build_audit(verdict, detail) -}}
    {%- if verdict != 'green' -%}
        {{- log('Not published: ' ~ detail ~ '. The warehouse readers open (' ~ published_warehouse_path()
            ~ ') is unchanged.', info=true) -}}
        {{- return('') -}}
    {%- endif -%}
    {{- publish_workspace() -}}
    {{- return('') -}}
{% endmacro %}

{#- `dbt run-operation publish_build`: publish the last audited build again, e.g. after a
    reader held the warehouse while the build ended. Only a green build that is not published
    yet, and only over the publication it started from. -#}
{% macro publish_build() %}
    {%- set audits = workspace_relation('build_audits') -%}
    {%- set last = run_query('select invocation_id, verdict, detail from ' ~ audits
        ~ ' order by audited_at desc, verdict = ' ~ string_literal('published') ~ ' desc limit 1')
        if relation_kind(audits) is not none else none -%}
    {%- if last is none or last.rows | length == 0 -%}
        {{- exceptions.raise_compiler_error('nothing to publish: no build has been audited in this workspace; run `dbt build`') -}}
    {%- endif -%}
    {%- set row = last.rows[0] -%}
    {%- if row[1] == 'published' -%}
        {{- log('The last build (' ~ row[0] ~ ') is already published.', info=true) -}}
    {%- elif row[1] != 'green' -%}
        {{- exceptions.raise_compiler_error('nothing to publish: the last build (' ~ row[0] ~ ') was not green: ' ~ row[2]) -}}
    {%- else -%}
        {{- publish_workspace(invocation=row[0]) -}}
    {%- endif -%}
{% endmacro %}

{#- The workspace's audit trail, append-only: one row per audited build (green, failed or
    partial) and one more when it is published. -#}
{% macro record_build_audit(verdict, detail, invocation=none, run_as_of=none) %}
    {%- set audits = workspace_relation('build_audits') -%}
    {%- do run_query('create table if not exists ' ~ audits ~ ' (invocation_id ' ~ dbt.type_string()
        ~ ', run_as_of timestamp, verdict ' ~ dbt.type_string() ~ ', detail ' ~ dbt.type_string()
        ~ ', audited_at timestamp)' ~ (' using parquet' if target.type == 'spark' else '')) -%}
    {%- do run_query('insert into ' ~ audits ~ ' select ' ~ string_literal(invocation or invocation_id) ~ ', '
        ~ (run_as_of or as_of_timestamp()) ~ ', ' ~ string_literal(verdict) ~ ', ' ~ string_literal(detail) ~ ', current_timestamp') -%}
{% endmacro %}

{#- A fault-injection point for tests/python/test_user_mistakes.py: with
    RATED_EVENTS_PUBLISH_PAUSE_AFTER=<step>, the publish logs that it paused and then works
    for minutes, so that a test can kill it exactly there. -#}
{% macro publish_step_done(step) %}
    {%- if env_var('RATED_EVENTS_PUBLISH_PAUSE_AFTER', '') == step -%}
        {{- log('publish paused after ' ~ step, info=true) -}}
        {%- do run_query('select count(*) from range(1000000000000)') -%}
    {%- endif -%}
{% endmacro %}

{% macro publish_workspace(invocation=none) %}
    {{- return(adapter.dispatch('publish_workspace', 'rated_events')(invocation or invocation_id)) -}}
{% endmacro %}

{% macro default__publish_workspace(invocation) %}
    {%- set path = published_warehouse_path() | replace("'", "''") -%}
    {%- set history = history_marts() -%}
    {{- log('Publishing the build to ' ~ published_warehouse_path() ~ ' (should another process hold that file,'
        ~ ' DuckDB names it below: once it is closed, `dbt run-operation publish_build` publishes this build)', info=true) -}}
    {#- the read-only attachment becomes a writable one; DuckDB refuses while any other
        process (a reader, a BI tool) has the file open, naming it -#}
    {%- do run_query('detach database if exists published') -%}
    {%- do run_query("attach '" ~ path ~ "' as published") -%}
    {%- do run_query('begin transaction') -%}
    {%- set base = run_query('select based_on_publication_id from ' ~ workspace_relation('int_run_provenance')).columns[0].values()[0] -%}
    {%- set log_table = published_relation('publications') -%}
    {%- set has_log = relation_kind(log_table) is not none -%}
    {%- set latest = run_query('select publication_id from ' ~ log_table ~ ' order by published_at desc limit 1')
        if has_log else none -%}
    {%- set latest_id = latest.columns[0].values()[0] if latest is not none and latest.rows | length > 0 else none -%}
    {%- if latest_id != base -%}
        {%- do run_query('rollback') -%}
        {{- exceptions.raise_compiler_error('not published: ' ~ published_warehouse_path() ~ ' was published by build '
            ~ latest_id ~ ' after this build read it (it started from ' ~ base ~ '); run `dbt build` again') -}}
    {%- endif -%}
    {{- publish_step_done('begin') -}}
    {#- Three passes, in this order: rows copied as tables first (a workspace view may read
        published history, so it is read before any history changes), then the history
        marts' deletes and appends, then the views (stored text, read later by readers). -#}
    {%- set passes = {'table': [], 'append': [], 'view': []} -%}
    {%- for node in published_models() -%}
        {%- set target_relation = published_relation(node.name) -%}
        {%- set existing = relation_kind(target_relation) -%}
        {%- if node.name in history and existing is not none -%}
            {%- do passes['append'].append((node, target_relation, existing)) -%}
        {%- elif node.config.materialized == 'view' and node.name not in history
            and published_view_reads_only_published(node) -%}
            {%- do passes['view'].append((node, target_relation, existing)) -%}
        {%- else -%}
            {%- do passes['table'].append((node, target_relation, existing)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for node, target_relation, existing in passes['table'] -%}
        {%- if existing == 'view' -%}
            {%- do run_query('drop view ' ~ target_relation) -%}
        {%- endif -%}
        {%- do run_query('create or replace table ' ~ target_relation ~ ' as select * from ' ~ workspace_relation(node.name)) -%}
        {{- publish_step_done(node.name) -}}
    {%- endfor -%}
    {%- for node, target_relation, existing in passes['append'] -%}
        {#- a column the contract gained since the table was first published is added (null in
            older rows); the columns it has are read once, not asked about one by one -#}
        {%- set present = run_query("select column_name from duckdb_columns() where database_name = 'published'"
            ~ " and schema_name = '" ~ target_relation.schema ~ "' and table_name = '" ~ node.name ~ "'").columns[0].values() -%}
        {%- for column in node.columns.values() if column.name not in present -%}
            {%- do run_query('alter table ' ~ target_relation ~ ' add column ' ~ column.name ~ ' ' ~ column.data_type) -%}
        {%- endfor -%}
        {%- do run_query('delete from ' ~ target_relation ~ ' where not coalesce('
            ~ recorded_rows_kept(node.name, workspace_relation('int_run_settlement')) ~ ', false)') -%}
        {%- do run_query('insert into ' ~ target_relation ~ ' by name '
            ~ select_contract_columns(node.name, workspace_relation(history[node.name]))) -%}
        {{- publish_step_done(node.name) -}}
    {%- endfor -%}
    {%- for node, target_relation, existing in passes['view'] -%}
        {%- set definition = run_query("select sql from duckdb_views() where database_name = '" ~ target.database
            ~ "' and schema_name = '" ~ target.schema ~ "' and view_name = '" ~ node.name ~ "'").columns[0].values()[0] -%}
        {%- set body = modules.re.sub('(?is)^\\s*create\\s+view\\s+\\S+\\s+as\\s+', '', definition, count=1) | trim -%}
        {%- set body = raw_source_literals(body) -%}
        {%- if existing == 'table' -%}
            {%- do run_query('drop table ' ~ target_relation) -%}
        {%- endif -%}
        {%- do run_query('create or replace view ' ~ target_relation ~ ' as ' ~ body.rstrip(';')) -%}
        {{- publish_step_done(node.name) -}}
    {%- endfor -%}
    {%- do run_query(published_descriptions(passes['table'] + passes['append'], passes['view'])) -%}
    {{- publish_step_done('descriptions') -}}
    {%- do run_query('create table if not exists ' ~ log_table ~ ' (publication_id varchar, run_as_of timestamp,'
        ~ ' run_config_hash varchar, published_at timestamp)') -%}
    {%- do run_query('insert into ' ~ log_table ~ " select run_invocation_id, run_as_of, run_config_hash,"
        ~ " current_timestamp from " ~ workspace_relation('int_run_provenance')) -%}
    {{- publish_step_done('publications') -}}
    {%- do run_query('commit') -%}
    {%- do run_query('detach published') -%}
    {%- do run_query("attach '" ~ path ~ "' as published (read_only)") -%}
    {{- record_build_audit('published', 'published to ' ~ published_warehouse_path(), invocation,
        '(select run_as_of from ' ~ workspace_relation('int_run_provenance') ~ ')') -}}
    {{- log('Published: ' ~ published_warehouse_path() ~ ' now holds build ' ~ invocation, info=true) -}}
{% endmacro %}

{#- The descriptions of the published models and their columns (the YAML's, as `dbt docs`
    shows them) as comments a BI tool or `duckdb_columns()` shows: one multi-statement text,
    run once per publish (a copied table does not keep comments). -#}
{% macro published_descriptions(tables, views) %}
    {#- only columns the relation has: a described column it lacks would fail the publish -#}
    {%- set present = run_query("select table_name || '.' || column_name from duckdb_columns()"
        ~ " where database_name = 'published' and schema_name = '" ~ published_schema() ~ "'").columns[0].values() -%}
    {%- set statements = [] -%}
    {%- for node, target_relation, existing in tables + views -%}
        {%- set kind = 'table' if loop.index <= tables | length else 'view' -%}
        {%- do statements.append('comment on ' ~ kind ~ ' ' ~ target_relation ~ ' is ' ~ string_literal(node.description | trim)) -%}
        {%- for column in node.columns.values() if (node.name ~ '.' ~ column.name) in present -%}
            {%- do statements.append('comment on column ' ~ target_relation ~ '.' ~ column.name ~ ' is '
                ~ string_literal(column.description | trim)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(statements | join(';\n')) -}}
{% endmacro %}

{#- A view is published as a view when it reads only published models (it then reads them in
    the warehouse readers open); otherwise its rows are published as a table. -#}
{% macro published_view_reads_only_published(node) %}
    {%- set published = published_models() | map(attribute='unique_id') | list -%}
    {%- for parent in node.depends_on.nodes -%}
        {%- set reads_raw_files = parent.startswith('source.') and parent.split('.')[2] in ('usage', 'billing') -%}
        {%- if parent not in published and not reads_raw_files -%}
            {{- return(false) -}}
        {%- endif -%}
    {%- endfor -%}
    {{- return(true) -}}
{% endmacro %}

{#- Spark (plain Parquet tables, no transactions): the same steps one statement at a time. A
    publish that fails halfway is finished by publishing again (`dbt run-operation
    publish_build`); docs/spark.md says so. -#}
{% macro spark__publish_workspace(invocation) %}
    {%- set history = history_marts() -%}
    {{- log('Publishing the build to schema ' ~ published_schema(), info=true) -}}
    {%- do run_query('create database if not exists ' ~ published_schema()) -%}
    {%- for node in published_models() if node.name != 'stg_usage__events' -%}
        {%- set target_relation = published_relation(node.name) -%}
        {%- set exists = adapter.get_relation(target_relation.database, target_relation.schema, target_relation.identifier) is not none -%}
        {%- if node.name in history and exists -%}
            {#- idempotent: a publish run again after failing halfway replaces its own rows -#}
            {%- set key = history_mart_key(node.name) -%}
            {{- delete_rows_where(target_relation, 'not coalesce('
                ~ recorded_rows_kept(node.name, workspace_relation('int_run_settlement')) ~ ', false) or ' ~ key
                ~ ' in (select ' ~ key ~ ' from ' ~ workspace_relation(history[node.name]) ~ ')') -}}
            {%- do run_query('insert into ' ~ target_relation ~ ' '
                ~ select_contract_columns(node.name, workspace_relation(history[node.name]))) -%}
        {%- else -%}
            {%- do run_query('drop table if exists ' ~ target_relation) -%}
            {%- do run_query('create table ' ~ target_relation ~ ' using parquet as select * from ' ~ workspace_relation(node.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set log_table = published_relation('publications') -%}
    {%- do run_query('create table if not exists ' ~ log_table ~ ' (publication_id string, run_as_of timestamp,'
        ~ ' run_config_hash string, published_at timestamp) using parquet') -%}
    {%- do run_query('insert into ' ~ log_table ~ ' select run_invocation_id, run_as_of, run_config_hash,'
        ~ ' current_timestamp() from ' ~ workspace_relation('int_run_provenance')) -%}
    {{- record_build_audit('published', 'published to schema ' ~ published_schema(), invocation,
        '(select run_as_of from ' ~ workspace_relation('int_run_provenance') ~ ')') -}}
{% endmacro %}
