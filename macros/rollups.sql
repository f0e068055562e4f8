{#- Spend rollups over the rated events marts (rules 5, rollups): one macro analysts call from
    models, analyses or the command line, e.g.

        dbt show --inline "{{ spend_rollup('day', ['customer_id', 'region']) }}"

    spend_rollup(grain, dimensions, status='all', filters=none, starting_at=none,
    ending_before=none) returns one row per (period_start, dimension values,
    fiat_credit_type_id) with
    - spend in fiat: fiat_amount, fiat_overage_amount, fiat_covered_amount (sums of the rated
      events' fiat_amount: custom pricing units and cents add up, two fiat types never do);
    - credit_type_id and the amount in it: amount, overage_amount, covered_amount (null, like
      credit_type_id, where the group holds rows of more than one credit type; name
      credit_type_id as a dimension to get them per credit type);
    - quantity (USAGE and ROUNDING_ADJUSTMENT rows only: a re-price row adds no units),
      rated_event_count and usage_event_count.
    Money stays decimal(38, 12).

    grain       'minute' | 'hour' | 'day' | 'week' (ISO, from Monday) | 'month', truncating
                event_timestamp (UTC); none: no period_start column (all time).
    dimensions  a list; each item is
                - a mart column name (customer_id, contract_id, invoice_id, product_id,
                  billable_metric_id, event_type, credit_type_id, coverage, component,
                  billing_period_start, billing_period_end, status, ...; JSON columns such as
                  pricing_group_values read as their JSON text),
                - any other string: an event property key (any characters), its value as text
                  by rules 8 (numbers canonical, JSON null or absent -> null, last duplicate wins),
                - or a dict naming the kind explicitly, with an optional output `name`:
                  {'property': 'status', 'name': 'api_status'}, {'column': 'status'},
                  {'pricing_group': 'model'}, {'presentation_group': 'workspace'}.
                Output columns are named by the key (or `name`), quoted as identifiers.
                fiat_credit_type_id and credit_type_id follow the dimensions unless named
                among them (then in the place given).
    status      'draft' (fct_rated_events_draft), 'finalized' (fct_rated_events_finalized) or
                'all' (both, union all).
    filters     none, or {column_or_property_key: value or [values]} (keys resolved like string
                dimensions), or a list of dicts {'property' | 'column' | 'pricing_group' |
                'presentation_group': key, 'values': value or [values]}. Values compare as
                text and are rendered as string literals; none matches null (absent). All
                filters must hold (and); a list matches any of its values.
    starting_at, ending_before
                none, or a timestamp as text ('2026-05-01', '2026-05-01 12:00:00', UTC): only
                rated events with starting_at <= event_timestamp < ending_before.

    Keys and values are quoted as SQL string literals and identifiers, never run as SQL. -#}
{% macro spend_rollup(grain, dimensions=none, status='all', filters=none, starting_at=none, ending_before=none) %}
{%- set grains = ['minute', 'hour', 'day', 'week', 'month'] -%}
{%- if grain is not none and (grain is not string or grain | lower not in grains) -%}
    {{ exceptions.raise_compiler_error(
        "spend_rollup: unknown grain " ~ (grain | tojson) ~ "; use one of " ~ (grains | join(', ')) ~ " or none") }}
{%- endif -%}
{%- set statuses = ['draft', 'finalized', 'all'] -%}
{%- if status is not string or status | lower not in statuses -%}
    {{ exceptions.raise_compiler_error(
        "spend_rollup: unknown status " ~ (status | tojson) ~ "; use one of " ~ (statuses | join(', '))) }}
{%- endif -%}

{#- dimensions and filters -> resolved fields: {kind, key, name, expression, columns} -#}
{%- if dimensions is none -%}
    {%- set dimension_specs = [] -%}
{%- elif dimensions is string or dimensions is mapping -%}
    {%- set dimension_specs = [dimensions] -%}
{%- elif dimensions is iterable -%}
    {%- set dimension_specs = dimensions | list -%}
{%- else -%}
    {{ exceptions.raise_compiler_error("spend_rollup: dimensions must be a list, got " ~ (dimensions | tojson)) }}
{%- endif -%}
{%- set fields = [] -%}
{%- for spec in dimension_specs -%}
    {%- do fields.append(rollup_field(spec, 'dimension', loop.index)) -%}
{%- endfor -%}

{%- set filter_specs = [] -%}
{%- if filters is none -%}
{%- elif filters is mapping -%}
    {%- for key, values in filters.items() -%}
        {%- do filter_specs.append({'spec': key, 'values': values}) -%}
    {%- endfor -%}
{%- elif filters is iterable and filters is not string -%}
    {%- for item in filters -%}
        {%- if item is not mapping or 'values' not in item -%}
            {{ exceptions.raise_compiler_error(
                "spend_rollup: each filter in a list must be a dict with `values` and one of property, column, pricing_group, presentation_group; got " ~ (item | tojson)) }}
        {%- endif -%}
        {%- set spec = {} -%}
        {%- for name, value in item.items() if name != 'values' -%}
            {%- do spec.update({name: value}) -%}
        {%- endfor -%}
        {%- do filter_specs.append({'spec': spec, 'values': item['values']}) -%}
    {%- endfor -%}
{%- else -%}
    {{ exceptions.raise_compiler_error("spend_rollup: filters must be a dict or a list of dicts, got " ~ (filters | tojson)) }}
{%- endif -%}
{%- set filter_fields = [] -%}
{%- set conditions = [] -%}
{%- for filter in filter_specs -%}
    {%- set field = rollup_field(filter.spec, 'filter', loop.index) -%}
    {%- do filter_fields.append(field) -%}
    {%- do conditions.append(rollup_condition(field, filter['values'])) -%}
{%- endfor -%}
{%- for bound, operator in [(starting_at, '>='), (ending_before, '<')] if bound is not none -%}
    {%- if bound is not string -%}
        {{ exceptions.raise_compiler_error("spend_rollup: starting_at and ending_before must be timestamps as text, got " ~ (bound | tojson)) }}
    {%- endif -%}
    {%- do conditions.append('rated_events.event_timestamp ' ~ operator ~ ' cast(' ~ rollup_string_literal(bound) ~ ' as timestamp)') -%}
{%- endfor -%}

{#- the credit type columns: fiat_credit_type_id always groups (spend never adds two fiat types);
    credit_type_id groups only when named, else it names the group's one credit type (null
    where the group holds several, and so do the amounts in it) -#}
{%- set grouped_columns = [] -%}
{%- for field in fields if field.kind == 'column' -%}{%- do grouped_columns.append(field.key) -%}{%- endfor -%}
{%- set adds_fiat_credit_type = 'fiat_credit_type_id' not in grouped_columns -%}
{%- set single_credit_type = none if 'credit_type_id' in grouped_columns
    else 'min(rated_events.credit_type_id) = max(rated_events.credit_type_id)' -%}

{#- output names: unique (DuckDB identifiers ignore case) and distinct from the measures and
    the credit type columns (unless the dimension is that column, under its own name) -#}
{%- set taken = [] -%}
{%- if grain is not none -%}{%- do taken.append('period_start') -%}{%- endif -%}
{%- set measures = [
    'fiat_amount', 'fiat_overage_amount', 'fiat_covered_amount', 'amount', 'overage_amount',
    'covered_amount', 'quantity', 'rated_event_count', 'usage_event_count',
] -%}
{%- set credit_type_columns = ['fiat_credit_type_id', 'credit_type_id'] -%}
{%- for field in fields -%}
    {%- set is_credit_type_column = field.kind == 'column' and field.key == field.name and field.key in credit_type_columns -%}
    {%- if field.name | lower in taken or field.name | lower in measures
        or (field.name | lower in credit_type_columns and not is_credit_type_column) -%}
        {{ exceptions.raise_compiler_error(
            "spend_rollup: two output columns would be named " ~ (field.name | tojson)
            ~ " (names ignore case); give the dimension another name, e.g. {'" ~ field.kind ~ "': "
            ~ (field.key | tojson) ~ ", 'name': '...'}") }}
    {%- endif -%}
    {%- do taken.append(field.name | lower) -%}
{%- endfor -%}

{#- read only the mart columns the rollup uses; rows recorded before the marts had fiat
    amounts read null there, and were all fiat: their amount is their fiat amount -#}
{%- set measure_columns = [
    'event_timestamp', 'event_id', 'component', 'coverage', 'quantity', 'amount', 'credit_type_id',
    'fiat_amount', 'fiat_credit_type_id',
] -%}
{%- set column_expressions = {
    'fiat_amount': 'coalesce(fiat_amount, amount) as fiat_amount',
    'fiat_credit_type_id': 'coalesce(fiat_credit_type_id, credit_type_id) as fiat_credit_type_id',
} -%}
{%- set columns = measure_columns | list -%}
{%- set field_columns = [] -%}
{%- for field in fields + filter_fields -%}{%- do field_columns.extend(field.columns) -%}{%- endfor -%}
{%- for column in field_columns if column not in columns -%}{%- do columns.append(column) -%}{%- endfor -%}
{%- set reads_properties = 'properties' in field_columns -%}
{#- after extraction, JSON fields are read from their own columns -#}
{%- set value_columns = measure_columns | list -%}
{%- for field in fields + filter_fields if field.kind == 'column' and field.key not in value_columns -%}
    {%- do value_columns.append(field.key) -%}
{%- endfor -%}
{%- set relations = [] -%}
{%- if status | lower in ('draft', 'all') -%}{%- do relations.append(ref('fct_rated_events_draft')) -%}{%- endif -%}
{%- if status | lower in ('finalized', 'all') -%}{%- do relations.append(ref('fct_rated_events_finalized')) -%}{%- endif -%}
{%- set outputs = ([] if grain is none else [dbt.date_trunc(grain | lower, 'rated_events.event_timestamp') ~ ' as period_start']) -%}
{%- for field in fields -%}
    {%- do outputs.append(field.expression ~ ' as ' ~ rollup_identifier(field.name)) -%}
{%- endfor -%}
{%- if adds_fiat_credit_type -%}
    {%- do outputs.append('rated_events.fiat_credit_type_id as fiat_credit_type_id') -%}
{%- endif -%}
{%- set json_fields = (fields + filter_fields) | selectattr('json_value') | list -%}
{%- set money = money_type() -%}
{%- set amount_sums = {
    'amount': 'sum(rated_events.amount)',
    'overage_amount': "coalesce(sum(case when rated_events.coverage = 'OVERAGE' then rated_events.amount end), 0)",
    'covered_amount': "coalesce(sum(case when rated_events.coverage <> 'OVERAGE' then rated_events.amount end), 0)",
} -%}
with

rated_events as (
    {%- for relation in relations %}
    select
        {%- for column in columns %}
        {{ column_expressions.get(column, column) }}{{ ',' if not loop.last or reads_properties }}
        {%- endfor %}
        {%- if reads_properties %}
        coalesce({{ has_duplicate_json_keys('properties') | trim }}, false) as has_duplicate_property_keys
        {%- endif %}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)
{%- if json_fields %},

rated_event_values as (
    -- each JSON field extracted once
    select
        {%- for column in value_columns %}
        rated_events.{{ column }},
        {%- endfor %}
        {%- for field in json_fields %}
        {{ field.json_value }} as {{ field.internal }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rated_events
)
{%- endif %}

select
    {%- for output in outputs %}
    {{ output | trim }},
    {%- endfor %}
    {%- if single_credit_type %}
    case when {{ single_credit_type }} then min(rated_events.credit_type_id) end as credit_type_id,
    {%- endif %}
    cast(sum(rated_events.fiat_amount) as {{ money }}) as fiat_amount,
    cast(coalesce(sum(case when rated_events.coverage = 'OVERAGE' then rated_events.fiat_amount end), 0) as {{ money }})
        as fiat_overage_amount,
    cast(coalesce(sum(case when rated_events.coverage <> 'OVERAGE' then rated_events.fiat_amount end), 0) as {{ money }})
        as fiat_covered_amount,
    {%- for name, total in amount_sums.items() %}
    {%- if single_credit_type %}
    cast(case when {{ single_credit_type }} then {{ total }} end as {{ money }}) as {{ name }},
    {%- else %}
    cast({{ total }} as {{ money }}) as {{ name }},
    {%- endif %}
    {%- endfor %}
    -- a re-price row's quantity names units its USAGE or ROUNDING_ADJUSTMENT row already counts
    cast(coalesce(sum(
        case when {{ adds_units('rated_events.component') }} then rated_events.quantity end
    ), 0) as {{ money }}) as quantity,
    count(*) as rated_event_count,
    count(distinct rated_events.event_id) as usage_event_count
from {{ 'rated_event_values as rated_events' if json_fields else 'rated_events' }}
{%- if conditions %}
where
    {{ conditions | join('\n    and ') }}
{%- endif %}
{%- if outputs %}
group by {% for output in outputs %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
order by {% for output in outputs %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
{%- endif %}
{% endmacro %}


{#- The columns of the marts a dimension may name, besides property keys. JSON columns read as
    their JSON text. `amount`, `fiat_amount` and `quantity` are measures, not dimensions. -#}
{% macro rollup_mart_columns() %}
    {{- return({
        'rated_event_id': 'text', 'unsplit_rated_event_id': 'text', 'transaction_id': 'text',
        'customer_id': 'text', 'contract_id': 'text', 'invoice_id': 'text',
        'billing_period_start': 'value', 'billing_period_end': 'value', 'event_type': 'text',
        'event_timestamp': 'value', 'received_at': 'value', 'billable_metric_id': 'text',
        'product_id': 'text', 'component': 'text', 'tier_index': 'value', 'unit_price': 'value',
        'credit_type_id': 'text', 'fiat_credit_type_id': 'text', 'coverage': 'text', 'balance_id': 'text',
        'balance_segment_id': 'text', 'pricing_group_values': 'json',
        'presentation_group_values': 'json', 'properties': 'json', 'status': 'text',
        'finalized_at': 'value', 'event_id': 'text', 'source_file': 'text', 'source_row': 'value',
        'run_as_of': 'value', 'run_invocation_id': 'text', 'run_config_hash': 'text'
    }) -}}
{% endmacro %}


{#- One dimension or filter spec -> {kind, key, name, expression, columns, json_value,
    internal}: `expression` reads the field from the rollup's rows, where a JSON field's raw value
    `json_value` was extracted once as column `internal`. `usage` ('dimension' or 'filter') names
    the argument in error messages, `index` numbers it. -#}
{% macro rollup_field(spec, usage, index) %}
{%- set mart_columns = rollup_mart_columns() -%}
{%- set kinds = ['property', 'column', 'pricing_group', 'presentation_group'] -%}
{%- if spec is string -%}
    {%- set kind = 'column' if spec in mart_columns else 'property' -%}
    {%- set key = spec -%}
    {%- set name = spec -%}
{%- elif spec is mapping -%}
    {%- set named = [] -%}
    {%- for candidate in kinds if candidate in spec -%}{%- do named.append(candidate) -%}{%- endfor -%}
    {%- set unknown = [] -%}
    {%- for entry in spec if entry not in kinds and entry != 'name' -%}{%- do unknown.append(entry) -%}{%- endfor -%}
    {%- if named | length != 1 or unknown -%}
        {{ exceptions.raise_compiler_error(
            "spend_rollup: a " ~ usage ~ " given as a dict needs exactly one of " ~ (kinds | join(', '))
            ~ " (and optionally name); got " ~ (spec | tojson)) }}
    {%- endif -%}
    {%- set kind = named[0] -%}
    {%- set key = spec[kind] -%}
    {%- set name = spec.get('name', key) -%}
{%- else -%}
    {{ exceptions.raise_compiler_error(
        "spend_rollup: a " ~ usage ~ " must be a column name, a property key or a dict, got " ~ (spec | tojson)) }}
{%- endif -%}
{%- if key is not string or name is not string or name == '' -%}
    {{ exceptions.raise_compiler_error(
        "spend_rollup: " ~ usage ~ " keys and names must be non-empty text (an empty property key needs a name); got " ~ (spec | tojson)) }}
{%- endif -%}
{%- if kind == 'column' and key not in mart_columns -%}
    {{ exceptions.raise_compiler_error(
        "spend_rollup: " ~ (key | tojson) ~ " is not a rated events column; columns: " ~ (mart_columns.keys() | sort | join(', '))) }}
{%- endif -%}
{%- set internal = usage ~ '_' ~ index ~ '_json' -%}
{%- if kind == 'column' -%}
    {%- set column = 'rated_events.' ~ key -%}
    {%- set expression = ('cast(' ~ column ~ ' as ' ~ api.Column.translate_type('string') ~ ')') if mart_columns[key] == 'json' else column -%}
    {{- return({'kind': kind, 'key': key, 'name': name, 'expression': expression, 'columns': [key], 'json_value': none, 'internal': none}) -}}
{%- elif kind == 'property' -%}
    {%- set json_value = json_object_value('rated_events.properties', key, 'rated_events.has_duplicate_property_keys') -%}
    {%- set columns = ['properties'] -%}
{%- else -%}
    {%- set columns = [kind ~ '_values'] -%}
    {#- objects the project builds never repeat a key -#}
    {%- set json_value = json_object_value('rated_events.' ~ kind ~ '_values', key, none) -%}
{%- endif -%}
{{- return({
    'kind': kind, 'key': key, 'name': name, 'expression': json_value_text('rated_events.' ~ internal),
    'columns': columns, 'json_value': json_value, 'internal': internal
}) -}}
{% endmacro %}


{#- A filter condition: the field's value is one of `values` (none matches null). -#}
{% macro rollup_condition(field, values) %}
{%- set items = [values] if (values is string or values is none or values is not iterable) else values | list -%}
{%- set literals = [] -%}
{%- set matches_null = [] -%}
{%- for value in items -%}
    {%- if value is none -%}
        {%- do matches_null.append(true) -%}
    {%- else -%}
        {%- do literals.append(rollup_string_literal(rollup_value_text(value))) -%}
    {%- endif -%}
{%- endfor -%}
{%- set parts = [] -%}
{%- if literals -%}{%- do parts.append(field.expression ~ ' in (' ~ (literals | join(', ')) ~ ')') -%}{%- endif -%}
{%- if matches_null -%}{%- do parts.append(field.expression ~ ' is null') -%}{%- endif -%}
{%- if not parts -%}
    {#- an empty list of values matches nothing -#}
    {%- do parts.append('1 = 0') -%}
{%- endif -%}
{{- return('(' ~ (parts | join(' or ')) ~ ')') -}}
{% endmacro %}


{#- A filter value as the text it compares with: booleans as JSON words, whole numbers without
    a fraction (rules 8: the canonical form of 5.0 is 5). -#}
{% macro rollup_value_text(value) %}
{%- if value is boolean -%}
    {{- return('true' if value else 'false') -}}
{%- elif value is number and value == (value | int) -%}
    {{- return(value | int | string) -}}
{%- elif value is string or value is number -%}
    {{- return(value | string) -}}
{%- else -%}
    {{ exceptions.raise_compiler_error("spend_rollup: filter values must be text, numbers, booleans or none; got " ~ (value | tojson)) }}
{%- endif -%}
{% endmacro %}


{#- Any text as a SQL string literal (string_literal, per engine), never run as SQL. -#}
{% macro rollup_string_literal(text) %}
{%- if '\x00' in text -%}
    {{ exceptions.raise_compiler_error("spend_rollup: text with a NUL character cannot be a SQL literal: " ~ (text | tojson)) }}
{%- endif -%}
{{- return(string_literal(text)) -}}
{% endmacro %}


{#- Any text as a quoted SQL identifier (double quotes doubled). -#}
{% macro rollup_identifier(name) %}
    {{- return(adapter.dispatch('rollup_identifier', 'rated_events')(name)) -}}
{% endmacro %}

{% macro default__rollup_identifier(name) %}
{%- if '\x00' in name -%}
    {{ exceptions.raise_compiler_error("spend_rollup: a column name cannot contain a NUL character: " ~ (name | tojson)) }}
{%- endif -%}
{{- return('"' ~ (name | replace('"', '""')) ~ '"') -}}
{% endmacro %}


{#- The JSON value of one top-level key of a JSON object column (null when absent). The key
    may hold any character: it is looked up as a JSON pointer ('/' + key, ~ and / escaped), which
    unlike a JSONPath also reaches '' and keys starting with '$' or '/'. Where the boolean
    expression `has_duplicate_keys` holds, the object repeats keys and the last one wins (rules 8);
    none: the object never repeats a key. Read its text with json_value_text. -#}
{% macro json_object_value(json, key, has_duplicate_keys) %}
    {{- return(adapter.dispatch('json_object_value', 'rated_events')(json, key, has_duplicate_keys)) -}}
{% endmacro %}

{% macro default__json_object_value(json, key, has_duplicate_keys) %}
{%- set key_text = rollup_string_literal(key) -%}
{%- if has_duplicate_keys is none -%}
    {{- return(json_object_field(json, key_text)) -}}
{%- endif -%}
{{- return(json_object_field_flagged(json, key_text, has_duplicate_keys)) -}}
{% endmacro %}


{#- One row per step of `datepart` from `start_at` to `end_at` (columns of `relation`, a one-row
    relation; both ends included), as timestamp column `column_name`: a time spine. No rows when
    the bounds are null. -#}
{% macro timestamp_series(datepart, start_at, end_at, relation, column_name) %}
    {{- return(adapter.dispatch('timestamp_series', 'rated_events')(datepart, start_at, end_at, relation, column_name)) -}}
{% endmacro %}

{% macro default__timestamp_series(datepart, start_at, end_at, relation, column_name) %}
    select cast(unnest(generate_series({{ start_at }}, {{ end_at }}, interval 1 {{ datepart }})) as timestamp) as {{ column_name }}
    from {{ relation }}
{% endmacro %}
