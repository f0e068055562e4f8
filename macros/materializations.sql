{#- How a step of event grain is kept (docs block `pipelined_steps`). A step that exactly one
    model reads, and that needs no sort of its own, is a view on DuckDB: its reader computes it
    in the same pipeline instead of the step writing every row to a table and the reader
    reading them back. A table on Spark, where each step stays a checkpoint. -#}
{% macro pipelined_step() %}
    {{- return('view' if target.type == 'duckdb' else 'table') -}}
{% endmacro %}
