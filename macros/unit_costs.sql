{#- The hash of the unit costs as staged (every line's fields, in line order): when it differs
    from the one int_rated_events_costed recorded, every cost is computed again. A scalar
    subquery, so the model and its pre-hook compare the same expression. -#}
{% macro unit_costs_hash_sql() %}
    {%- set fields = "coalesce(product_id, '') || '|' || coalesce(cast(dimension_values as " ~ dbt.type_string()
        ~ "), '') || '|' || coalesce(cast(cost_per_unit as " ~ dbt.type_string()
        ~ "), '') || '|' || coalesce(cast(starting_at as " ~ dbt.type_string()
        ~ "), '') || '|' || coalesce(cast(ending_before as " ~ dbt.type_string() ~ "), '')" -%}
    {{- return("(select coalesce(md5(" ~ dbt.listagg(fields, "'\\n'", 'order by line_number')
        ~ "), md5('')) from " ~ ref('stg_billing__unit_costs') ~ ")") -}}
{% endmacro %}

{#- Whether int_rated_events_costed (this) holds costs computed from the unit costs as they are
    now: some rows, all with the current hash. Asked when the model compiles, before its
    pre-hook, so the model reads only this run's rated events when they were. An empty table
    (no unit costs until now) or one from before the hash column counts as changed. -#}
{% macro unit_costs_unchanged() %}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if 'unit_costs_hash' not in columns -%}{{ return(false) }}{%- endif -%}
    {%- set query -%}
        select
            count(*) as row_count,
            count(case when unit_costs_hash = {{ unit_costs_hash_sql() }} then 1 end) as current_count
        from {{ this }}
    {%- endset -%}
    {%- set counts = run_query(query).rows[0] -%}
    {{- return(counts[0] > 0 and counts[0] == counts[1]) -}}
{% endmacro %}

{#- int_rated_events_costed' pre-hook condition: the rows a run computes again (drafts, and every
    row costed with other unit costs than the current ones). -#}
{% macro stale_unit_cost_rows() %}
    {{- return("coalesce(status, '') <> 'FINALIZED' or coalesce(unit_costs_hash, '') <> " ~ unit_costs_hash_sql()) -}}
{% endmacro %}

{#- Whether a list of texts (a JSON object's keys, json_keys) holds `key` more than once: its
    first and last positions differ. No hashing of the whole list, unlike
    has_duplicate_json_keys; for int_rated_events_costed, which asks it of a few keys per row. -#}
{% macro repeats_key(keys, key) %}
    {{- return(adapter.dispatch('repeats_key', 'rated_events')(keys, key)) -}}
{% endmacro %}

{% macro default__repeats_key(keys, key) %}
    coalesce(list_position({{ keys }}, {{ key }}) <> len({{ keys }}) + 1 - list_position(list_reverse({{ keys }}), {{ key }}), false)
{% endmacro %}

{% macro spark__repeats_key(keys, key) %}
    coalesce(size(filter({{ keys }}, listed_key -> listed_key = {{ key }})) > 1, false)
{% endmacro %}
