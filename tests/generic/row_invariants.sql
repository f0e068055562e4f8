{#- Every row invariant of a model in one query, one test node per model: an aggregate pass over
    the model counts the rows breaking each rule, where a test per rule and column would be a
    node of its own and read the model once each (on history-sized tables that dominated a
    build's test time). Returns one row per broken rule: `rule_name`, `column_names`,
    `row_condition` (the rule's `where`), `failing_rows` and, where cheap, an `example_value`.
    The rules keep the semantics of the tests they replace:
    - unique: a column (dbt's `unique`: nulls are ignored), a list of columns (a combination:
      null is a value, so (null, 1) twice is a duplicate) or {columns, where}; failing_rows
      counts the rows beyond the first of each key.
    - not_null: a column, or {columns, where}: columns that hold a value wherever `where` holds.
    - accepted_values: {column: [values]}; nulls pass; strings are quoted, numbers are not.
    - relationships: [{column, to, field, where}]; nulls pass. Joined to the distinct values of
      `to`'s `field` (no fan-out), in the same pass.
    - row_count: the exact number of rows; failing_rows is then the number found. -#}
{% test row_invariants(model, unique=[], not_null=[], accepted_values={}, relationships=[], row_count=none) %}
{%- set text_type = dbt.type_string() -%}
{%- set rules = [] -%}

{%- for entry in unique -%}
    {%- if entry is string -%}
        {%- do rules.append({'name': 'unique', 'columns': entry,
            'failing': 'count(' ~ entry ~ ') - count(distinct ' ~ entry ~ ')'}) -%}
    {%- else -%}
        {%- set columns = entry.columns if entry is mapping else entry -%}
        {%- set where = entry.get('where') if entry is mapping else none -%}
        {%- set fields = [] -%}
        {%- for column in columns %}{% do fields.append((column, column)) %}{% endfor -%}
        {%- set key = struct_of(fields) -%}
        {%- do rules.append({'name': 'unique', 'columns': columns | join(', '), 'where': where,
            'failing': 'count(case when ' ~ where ~ ' then 1 end) - count(distinct case when '
                ~ where ~ ' then ' ~ key ~ ' end)' if where
                else 'count(*) - count(distinct ' ~ key ~ ')'}) -%}
    {%- endif -%}
{%- endfor -%}

{%- for entry in not_null -%}
    {%- set where = entry.get('where') if entry is mapping else none -%}
    {%- for column in (entry.columns if entry is mapping else [entry]) -%}
        {%- do rules.append({'name': 'not_null', 'columns': column, 'where': where,
            'breaks': ('(' ~ where ~ ') and ' if where else '') ~ column ~ ' is null'}) -%}
    {%- endfor -%}
{%- endfor -%}

{%- for column, values in accepted_values.items() -%}
    {%- set literals = [] -%}
    {%- for value in values %}{% do literals.append(string_literal(value) if value is string else value) %}{% endfor -%}
    {%- do rules.append({'name': 'accepted_values', 'columns': column, 'example': column,
        'breaks': column ~ ' not in (' ~ literals | join(', ') ~ ')'}) -%}
{%- endfor -%}

{%- for relationship in relationships -%}
    {%- set where = relationship.get('where') -%}
    {%- do rules.append({'name': 'relationships', 'columns': relationship.column, 'where': where,
        'example': 'model_rows.' ~ relationship.column,
        'breaks': ('(' ~ where ~ ') and ' if where else '') ~ 'model_rows.' ~ relationship.column
            ~ ' is not null and parent_' ~ loop.index ~ '.parent_key is null'}) -%}
{%- endfor %}

with

invariant_counts as (

    select
        count(*) as row_count
        {%- for rule in rules %},
        {{ rule.failing or 'count(case when ' ~ rule.breaks ~ ' then 1 end)' }} as failing_{{ loop.index }}
        {%- if rule.example %},
        min(case when {{ rule.breaks }} then cast({{ rule.example }} as {{ text_type }}) end) as example_{{ loop.index }}
        {%- endif %}
        {%- endfor %}
    from {{ model }} as model_rows
    {%- for relationship in relationships %}
    left join (select distinct {{ relationship.field }} as parent_key from {{ relationship.to }}) as parent_{{ loop.index }}
        on model_rows.{{ relationship.column }} = parent_{{ loop.index }}.parent_key
    {%- endfor %}

)

{% for rule in rules -%}
select
    '{{ rule.name }}' as rule_name,
    {{ string_literal(rule.columns) }} as column_names,
    {{ string_literal(rule.where) if rule.where else 'cast(null as ' ~ text_type ~ ')' }} as row_condition,
    failing_{{ loop.index }} as failing_rows,
    {{ 'example_' ~ loop.index if rule.example else 'cast(null as ' ~ text_type ~ ')' }} as example_value
from invariant_counts
where failing_{{ loop.index }} > 0
union all
{% endfor -%}
select
    'row_count' as rule_name,
    cast(null as {{ text_type }}) as column_names,
    cast(null as {{ text_type }}) as row_condition,
    row_count as failing_rows,
    cast(null as {{ text_type }}) as example_value
from invariant_counts
where {{ 'row_count <> ' ~ row_count if row_count is not none else '1 = 0' }}

{% endtest %}
