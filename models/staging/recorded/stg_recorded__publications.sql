-- One row per publish of the warehouse readers open: the build it published (dbt's
-- invocation id), that build's as_of and configuration hash, and when (no rows on a fresh
-- warehouse). The latest row is what this build starts from.
{%- set relation = source('recorded', 'publications') %}
{%- set found = adapter.get_relation(
    database=relation.database, schema=relation.schema, identifier=relation.identifier
) if execute else none %}
{% if found is not none %}
select * from {{ relation }}
{% else %}
select
    cast(null as {{ dbt.type_string() }}) as publication_id,
    cast(null as timestamp) as run_as_of,
    cast(null as {{ dbt.type_string() }}) as run_config_hash,
    cast(null as timestamp) as published_at
where 1 = 0
{% endif %}
