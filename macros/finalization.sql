{#- The relation of a mart as earlier runs left it, or none when it does not exist yet (first
    run, fresh warehouse, parsing). Used to read finalized history (SPEC 5: "as recorded")
    without a ref, which would be a cycle: the mart is built from the model reading it. Marts
    and intermediate models share the target schema. -#}
{% macro recorded_relation(identifier) %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=this.database, schema=this.schema, identifier=identifier)) }}
{% endmacro %}
