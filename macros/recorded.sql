{#- The published rows of a history mart (source `recorded`), or, on a fresh warehouse where
    the table does not exist yet, no rows with the mart's contracted columns: the first-run
    fallback lives here and in no model. A column the contract gained after the table was
    published (e.g. `fiat_amount`) reads as null in its older rows, as the publish step adds
    it (macros/publication.sql), so a build on an older warehouse reads every contracted column. -#}
{% macro recorded_rows(mart_name) %}
    {%- set relation = source('recorded', mart_name) -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) if execute else none -%}
    {%- if found is not none -%}
        {%- set node = graph.nodes.get('model.rated_events.' ~ mart_name) -%}
        {%- set present = adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list -%}
        {%- set missing = [] -%}
        {%- for column in (node.columns.values() if node is not none else []) if column.name | lower not in present -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        select *
        {%- for column in missing %},
            cast(null as {{ 'string' if target.type == 'spark' and column.data_type in ('json', 'varchar') else column.data_type }}) as {{ column.name }}
        {%- endfor %}
        from {{ relation }}
    {%- else -%}
        {{ no_rows_of_contract(mart_name) }}
    {%- endif -%}
{% endmacro %}

{#- `select` of a model's contracted columns, typed, with no rows. -#}
{% macro no_rows_of_contract(model_name) %}
    {%- set node = graph.nodes.get('model.rated_events.' ~ model_name) if execute else none -%}
    {%- if node is none -%}
        select 1 as no_rows where 1 = 0
    {%- else -%}
        select
        {%- for column in node.columns.values() %}
            cast(null as {{ 'string' if target.type == 'spark' and column.data_type in ('json', 'varchar') else column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- endif -%}
{% endmacro %}

{#- Which published rows of a history mart this run keeps; the others it replaces. The mart's
    view shows the kept rows beside this run's rows, and the publish step deletes the others
    from the published table before appending this run's rows, so the published table ends
    equal to the view the build tested. `settlement` is int_run_settlement. -#}
{% macro recorded_rows_kept(mart_name, settlement) %}
    {%- if mart_name in ('fct_invoices', 'fct_invoice_line_items') -%}
        {#- finalized invoices are history; drafts are replaced every run -#}
        status = 'FINALIZED'
    {%- elif mart_name == 'fct_event_outcomes' -%}
        {#- all or nothing: a run that cannot keep earlier outcomes decides every event again -#}
        coalesce((select keeps_earlier_outcomes from {{ settlement }}), false)
    {%- elif mart_name == 'fct_errored_events' -%}
        coalesce((select keeps_earlier_outcomes from {{ settlement }}), false)
        and received_at > {{ dbt.dateadd('day', -int_var('errored_events_lookback_days'),
            '(select run_as_of from ' ~ settlement ~ ')') }}
    {%- elif mart_name == 'fct_rated_events_finalized' -%}
        {#- append-only: every finalized row stays -#}
        true
    {%- else -%}
        {{ exceptions.raise_compiler_error('recorded_rows_kept: ' ~ mart_name ~ ' is not a history mart') }}
    {%- endif -%}
{% endmacro %}

{#- `select` of a model's contracted columns, in the contract's order, from a relation. -#}
{% macro select_contract_columns(model_name, relation) %}
    {%- set node = graph.nodes.get('model.rated_events.' ~ model_name) if execute else none -%}
    {%- if node is none -%}
        select * from {{ relation }}
    {%- else -%}
        select {{ node.columns.keys() | join(', ') }} from {{ relation }}
    {%- endif -%}
{% endmacro %}

{#- Whether this run may keep outcomes that earlier runs recorded, asked when a model runs,
    after `settlement` (int_run_settlement, which the model passes) is built. A model whose
    daily form reads the events twice (the settled copies beside the events in play) compiles
    to one pass when the answer is no: every full build. The daily form is right in both
    cases, so whenever the settlement cannot be read (parsing, `dbt compile` before a build)
    the answer is yes. -#}
{% macro run_may_keep_earlier_outcomes(settlement) %}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- if adapter.get_relation(settlement.database, settlement.schema, settlement.identifier) is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set kept = run_query('select coalesce(max(case when keeps_earlier_outcomes then 1 else 0 end), 1) from '
        ~ settlement).columns[0].values()[0] -%}
    {{- return(kept | int == 1) -}}
{% endmacro %}
